package manager_test

import (
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

func TestSetAndDelete(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, _ := env.Create(t)
	require.NoError(t, s.Set("b", 2))
	require.NoError(t, s.Set("a", 1))
	require.NoError(t, s.Set("c", 3))

	tests := []struct {
		name string
		do   func() error
		keys []string
	}{
		{name: "keys are sorted", do: func() error { return nil }, keys: []string{"a", "b", "c"}},
		{name: "Set nil deletes", do: func() error { return s.Set("b", nil) }, keys: []string{"a", "c"}},
		{name: "Delete deletes", do: func() error { return s.Delete("a") }, keys: []string{"c"}},
		{name: "Delete of an absent key", do: func() error { return s.Delete("zz") }, keys: []string{"c"}},
		{name: "set again after delete", do: func() error { return s.Set("a", "again") }, keys: []string{"a", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.do())
			assert.Equal(t, tt.keys, s.Keys())
			stored := env.M.GetSessionById(s.GetId())
			require.NotNil(t, stored)
			assert.Equal(t, tt.keys, stored.Keys(), "store disagrees with the session")
		})
	}
	_, ok := s.Get("b")
	assert.False(t, ok)
}

// keyType is a string type that is not string: keys must be plain strings.
type keyType string

func TestInvalidKeys(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, _ := env.Create(t)
	tests := []struct {
		name string
		key  any
	}{
		{name: "int", key: 1},
		{name: "nil", key: nil},
		{name: "named string type", key: keyType("k")},
		{name: "struct", key: struct{ s string }{"k"}},
		{name: "empty string", key: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, s.Set(tt.key, "v"), manager.ErrInvalidKey)
			assert.ErrorIs(t, s.Delete(tt.key), manager.ErrInvalidKey)
			v, ok := s.Get(tt.key)
			assert.Nil(t, v)
			assert.False(t, ok)
		})
	}
	assert.Empty(t, s.Keys())
	assert.Zero(t, env.Events.CountKind(manager.Update))
}

func TestGetSessionByIdWritesThrough(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	created, _ := env.Create(t)
	id := created.GetId()

	first := env.M.GetSessionById(id)
	require.NotNil(t, first)
	require.NoError(t, first.Set("k", "v"))

	second := env.M.GetSessionById(id)
	require.NotNil(t, second)
	v, ok := second.Get("k")
	assert.True(t, ok)
	assert.Equal(t, "v", v)

	require.NoError(t, second.Delete("k"))
	_, ok = env.M.GetSessionById(id).Get("k")
	assert.False(t, ok)
}

func TestSetOnDestroyedSession(t *testing.T) {
	tests := []struct {
		name    string
		destroy func(env *testkit.Env, s manager.Session)
	}{
		{name: "invalidated", destroy: func(_ *testkit.Env, s manager.Session) { s.Invalidate() }},
		{name: "destroyed by ID elsewhere", destroy: func(env *testkit.Env, s manager.Session) {
			if err := env.M.DestroySessionById(s.GetId()); err != nil {
				panic(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{}, nil)
			created, _ := env.Create(t)
			s := env.M.GetSessionById(created.GetId())
			require.NotNil(t, s)

			tt.destroy(env, s)
			assert.ErrorIs(t, s.Set("k", "v"), manager.ErrSessionGone)
			assert.Equal(t, 0, env.M.GetSessionSize(), "Set brought the session back")
			assert.Nil(t, env.M.GetSessionById(created.GetId()))
			assert.Zero(t, env.Events.CountKind(manager.Update))
		})
	}
}

func TestValueCheckerRefusesAtSetTime(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{Store: funcRefusingStore{store.NewMemory()}}, nil)
	s, _ := env.Create(t)

	tests := []struct {
		name  string
		value any
		ok    bool
	}{
		{name: "func refused", value: func() {}},
		{name: "string kept", value: "fine", ok: true},
		{name: "func over a kept value refused", value: func() {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Set("k", tt.value)
			if !tt.ok {
				require.ErrorIs(t, err, errNoFuncs)
				return
			}
			require.NoError(t, err)
		})
	}
	v, ok := env.M.GetSessionById(s.GetId()).Get("k")
	assert.True(t, ok)
	assert.Equal(t, "fine", v)
	assert.Equal(t, 1, env.Events.CountKind(manager.Update))
	assert.NoError(t, s.Set("k", nil), "deleting needs no check")
}

func TestInvalidateFailureIsNeverSilent(t *testing.T) {
	faulty := testkit.NewFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: faulty}, nil)
	_, ck := env.Create(t)
	faulty.Err = errors.New("store down")
	faulty.FailDelete.Store(true)

	t.Run("without middleware: logged", func(t *testing.T) {
		s := env.M.GetSession(testkit.RequestWith(ck))
		require.NotNil(t, s)
		s.Invalidate()
		assert.Contains(t, env.Logs.String(), "invalidate failed")
		assert.NotNil(t, env.M.GetSessionById(ck.Value), "the session still exists")
	})

	t.Run("within a request: answered", func(t *testing.T) {
		h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			env.M.GetSession(r).Invalidate()
			_, _ = io.WriteString(w, "logged out")
		}))
		rec := testkit.Get(h, "/", ck)
		assert.Equal(t, http.StatusInternalServerError, rec.Code, "a logout that failed must not look done")
		assert.NotContains(t, rec.Body.String(), "logged out")
	})
}

// TestSetCopiesASharedContainerOnce: a value that holds one container in
// many places (2^40 paths through 40 slices) is copied in 40 steps, and
// stays shared in the copy.
func TestSetCopiesASharedContainerOnce(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, _ := env.Create(t)
	shared := []any{"leaf"}
	for range 40 {
		shared = []any{shared, shared}
	}
	require.NoError(t, s.Set("dag", shared))
	got, _ := s.Get("dag")
	assert.Equal(t, shared, got)
}

// Values come back from the store as they were set, and never crash the
// process (SECURITY.md, requirements 19 and 20). The tests are in
// internal/testkit/managertest, run here on the memory store and by
// internal/e2e on Redis.

func TestChangedContainerIsStored(t *testing.T) {
	managertest.ChangedContainerIsStored(t, managertest.Memory)
}
func TestConcurrentRequestsNeverShareAContainer(t *testing.T) {
	managertest.ConcurrentRequestsNeverShareAContainer(t, managertest.Memory)
}
func TestSetRefusesValuesThatWouldCrash(t *testing.T) {
	managertest.SetRefusesValuesThatWouldCrash(t, managertest.Memory)
}

// errNoFuncs is what funcRefusingStore says of a func value.
var errNoFuncs = errors.New("test store: functions cannot be stored")

// funcRefusingStore is a memory store that, like a store that encodes its
// values, refuses some of them: here, functions.
type funcRefusingStore struct {
	store.Store
}

var _ store.ValueChecker = funcRefusingStore{}

func (funcRefusingStore) CheckValue(_ string, value any) error {
	if reflect.ValueOf(value).Kind() == reflect.Func {
		return errNoFuncs
	}
	return nil
}
