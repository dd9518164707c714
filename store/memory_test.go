package store_test

import (
	"testing"

	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}

// TestMemoryWithLimitConformance checks that a cap high enough never to be
// reached changes nothing else the Store contract promises.
func TestMemoryWithLimitConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory(store.WithMaxSessions(1 << 20)) })
}
