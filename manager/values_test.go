package manager_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

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

// point is a struct value held in containers: copied with its container, as
// any Go value is.
type point struct{ X, Y int }

// anyMap and tree are the named containers users define; tree holds itself
// by type, without an interface in between.
type (
	anyMap map[string]any
	tree   map[string]tree
)

// TestSetAndGetCopyEveryContainer: every map and slice reachable through
// maps, slices, arrays and interfaces is copied, whatever its key and
// element types: a change to the value set, or to the value got, reaches
// neither the stored value nor another Get (SECURITY.md, requirement 20).
// Each case builds a fresh value and writes into its innermost container.
func TestSetAndGetCopyEveryContainer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		build  func() any
		mutate func(v any)
	}{
		{"map[string][]string", func() any { return map[string][]string{"a": {"1", "2"}} },
			func(v any) { v.(map[string][]string)["a"][0] = "changed" }},
		{"url.Values", func() any { return url.Values{"q": {"go"}} },
			func(v any) { v.(url.Values)["q"][0] = "changed" }},
		{"[]map[string]any", func() any { return []map[string]any{{"k": "v"}} },
			func(v any) { v.([]map[string]any)[0]["k"] = "changed" }},
		{"map[string]map[string]int", func() any { return map[string]map[string]int{"a": {"b": 1}} },
			func(v any) { v.(map[string]map[string]int)["a"]["b"] = 2 }},
		{"[][]byte", func() any { return [][]byte{[]byte("abc")} },
			func(v any) { v.([][]byte)[0][0] = 'X' }},
		{"map[int][]any", func() any { return map[int][]any{7: {"x"}} },
			func(v any) { v.(map[int][]any)[7][0] = "changed" }},
		{"map[string]any holding map[string][]int", func() any { return map[string]any{"m": map[string][]int{"a": {1}}} },
			func(v any) { v.(map[string]any)["m"].(map[string][]int)["a"][0] = 2 }},
		{"[]any holding an array of slices", func() any { return []any{[2][]int{{1}, {2}}} },
			func(v any) { v.([]any)[0].([2][]int)[1][0] = 3 }},
		{"named map holding []string", func() any { return anyMap{"tags": []string{"x"}} },
			func(v any) { v.(anyMap)["tags"].([]string)[0] = "changed" }},
		{"map typed by itself", func() any { return tree{"a": {"b": {}}} },
			func(v any) { v.(tree)["a"]["b"]["c"] = nil }},
		{"slice of structs", func() any { return []point{{1, 2}} },
			func(v any) { v.([]point)[0].X = 9 }},
		{"named byte slice", func() any { return json.RawMessage(`{"a":1}`) },
			func(v any) { v.(json.RawMessage)[0] = '[' }},
		{"map of slices of interfaces", func() any { return map[string][]fmt.Stringer{"d": {time.Second}} },
			func(v any) { v.(map[string][]fmt.Stringer)["d"][0] = time.Minute }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{}, nil)
			s, _ := env.Create(t)
			set := tc.build()
			require.NoError(t, s.Set("v", set))
			tc.mutate(set)
			got, _ := s.Get("v")
			assert.Equal(t, tc.build(), got, "a change after Set reached the stored value")
			tc.mutate(got)
			again, _ := s.Get("v")
			assert.Equal(t, tc.build(), again, "a change to a value got reached the stored value")
		})
	}
}

// TestNilContainersStayNil: a nil map or slice, of any type and at any
// depth, comes back nil, not empty.
func TestNilContainersStayNil(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, _ := env.Create(t)
	require.NoError(t, s.Set("top", map[string][]string(nil)))
	require.NoError(t, s.Set("inner", []map[string]any{nil, {"s": []int(nil)}}))
	top, ok := s.Get("top")
	assert.True(t, ok)
	assert.Nil(t, top.(map[string][]string))
	inner, _ := s.Get("inner")
	assert.Nil(t, inner.([]map[string]any)[0])
	assert.Nil(t, inner.([]map[string]any)[1]["s"].([]int))
}

// TestStructFieldsStayShared pins the documented limit of the copy: a
// struct is copied as a Go value, so a map in one of its fields stays
// shared with the value set, as a pointer does.
func TestStructFieldsStayShared(t *testing.T) {
	type cart struct{ Items map[string]int }
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, _ := env.Create(t)
	set := []cart{{Items: map[string]int{"a": 1}}}
	require.NoError(t, s.Set("carts", set))
	set[0].Items["a"] = 2
	got, _ := s.Get("carts")
	assert.Equal(t, 2, got.([]cart)[0].Items["a"])
}

// TestSetCopiesASharedTypedContainerOnce: a typed container held in many
// places is copied once and stays shared in the copy, as an untyped one
// does (TestSetCopiesASharedContainerOnce); 2^40 paths would never end.
func TestSetCopiesASharedTypedContainerOnce(t *testing.T) {
	type list []list
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, _ := env.Create(t)
	leaf := map[string][]int{"n": {1}}
	shared := list{}
	for range 40 {
		shared = list{shared, shared}
	}
	require.NoError(t, s.Set("dag", []any{shared, leaf, leaf}))
	got, _ := s.Get("dag")
	assert.Equal(t, []any{shared, leaf, leaf}, got)
	got.([]any)[1].(map[string][]int)["n"][0] = 2
	assert.Equal(t, 2, got.([]any)[2].(map[string][]int)["n"][0], "one container set twice is one container in the copy")
	stored, _ := s.Get("dag")
	assert.Equal(t, 1, stored.([]any)[2].(map[string][]int)["n"][0])
}

// TestConcurrentRequestsNeverShareATypedContainer: two requests of one
// session that each get a map[string][]string and write to it would, were
// it shared, crash the process with "concurrent map writes"; each gets its
// own. Run with -race.
func TestConcurrentRequestsNeverShareATypedContainer(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	s, ck := env.Create(t)
	require.NoError(t, s.Set("form", map[string][]string{"q": {"go"}}))
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := env.M.GetSession(r).Get("form")
		form := v.(map[string][]string)
		for i := range 1000 {
			form[fmt.Sprint(i)] = []string{r.URL.Path}
		}
		form["q"][0] = r.URL.Path
		form["q"] = append(form["q"], r.URL.Path)
	}))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { testkit.Get(h, fmt.Sprintf("/%d", i), ck) })
	}
	wg.Wait()
	assert.Equal(t, map[string][]string{"q": {"go"}}, testkit.ValueOf(env.M, ck.Value, "form"), "a change without Set reached the store")
}

// TestSetRefusesTypedValuesThatWouldCrash: cycles and absurd depth are
// found through typed containers and arrays as through map[string]any and
// []any (TestSetRefusesValuesThatWouldCrash), and refused with an error
// naming the key.
func TestSetRefusesTypedValuesThatWouldCrash(t *testing.T) {
	named := anyMap{}
	named["self"] = named
	converted := map[string]any{}
	converted["self"] = anyMap(converted)
	slice := []any{nil}
	slice[0] = map[string][]any{"back": slice}
	typed := map[string][]map[string]any{}
	typed["a"] = []map[string]any{{"back": typed}}
	self := tree{}
	self["self"] = self
	throughArray := []any{nil}
	throughArray[0] = [1]any{throughArray}
	deepTyped := []any{}
	for range 5000 {
		deepTyped = []any{map[string][]any{"d": deepTyped}}
	}
	deepTree := tree{}
	for range 5000 {
		deepTree = tree{"d": deepTree}
	}
	var deepArray any = 0
	for range 5000 {
		deepArray = [1]any{deepArray}
	}
	for _, tc := range []struct {
		name string
		v    any
		err  string
	}{
		{"named map that holds itself", named, "contains itself"},
		{"map that holds itself as another type", converted, "contains itself"},
		{"[]any holding a map[string][]any holding the slice", slice, "contains itself"},
		{"map of slices of maps holding the map", typed, "contains itself"},
		{"map typed by itself holding itself", self, "contains itself"},
		{"slice holding an array holding the slice", throughArray, "contains itself"},
		{"5000 levels of typed containers", deepTyped, "nests too deeply"},
		{"5000 levels of a map typed by itself", deepTree, "nests too deeply"},
		{"5000 levels of arrays", deepArray, "nests too deeply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{}, nil)
			s, _ := env.Create(t)
			err := s.Set("bad", tc.v)
			assert.ErrorContains(t, err, `key "bad"`)
			assert.ErrorContains(t, err, tc.err)
			_, ok := s.Get("bad")
			assert.False(t, ok)
		})
	}
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
