package manager_test

import (
	"errors"
	"reflect"

	"github.com/sessionkit/session/store"
)

// errNoFuncs is what funcRefusingStore says of a func value.
var errNoFuncs = errors.New("test store: functions cannot be stored")

// funcRefusingStore is a memory store that, like a store that encodes its
// values, refuses some of them: here, functions.
type funcRefusingStore struct {
	*store.Memory
}

var _ store.ValueChecker = funcRefusingStore{}

func (funcRefusingStore) CheckValue(_ string, value any) error {
	if reflect.ValueOf(value).Kind() == reflect.Func {
		return errNoFuncs
	}
	return nil
}
