package managertest

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// ChangedContainerIsStored: the common pattern "get the cart, change it,
// set it again" must store the change, with every store. Setting a map,
// slice or pointer always counts as a change.
func ChangedContainerIsStored(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	_, ck := env.Create(t)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		cart, ok := s.Get("cart")
		if !ok {
			cart = map[string]any{"items": 0.0}
		}
		items := cart.(map[string]any)
		items["items"] = items["items"].(float64) + 1
		require.NoError(t, s.Set("cart", items))
	}))
	for range 2 {
		require.Equal(t, http.StatusOK, testkit.Get(h, "/add", ck).Code)
	}
	assert.Equal(t, map[string]any{"items": 2.0}, testkit.ValueOf(env.M, ck.Value, "cart"))
}

// ConcurrentRequestsNeverShareAContainer: in memory, values are Go
// values, so two requests of one session that change the map they got would
// race on it. Get hands each its own copy; run with -race.
func ConcurrentRequestsNeverShareAContainer(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	s, ck := env.Create(t)
	require.NoError(t, s.Set("cart", map[string]any{"items": []any{"a"}}))
	require.NoError(t, s.Set("tags", []string{"x"}))
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		cart, _ := s.Get("cart")
		cart.(map[string]any)["seen"] = r.URL.Path
		cart.(map[string]any)["items"].([]any)[0] = r.URL.Path
		tags, _ := s.Get("tags")
		tags.([]string)[0] = r.URL.Path
	}))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { testkit.Get(h, fmt.Sprintf("/%d", i), ck) })
	}
	wg.Wait()
	assert.Equal(t, map[string]any{"items": []any{"a"}}, testkit.ValueOf(env.M, ck.Value, "cart"), "a change without Set reached the store")
	assert.Equal(t, []string{"x"}, testkit.ValueOf(env.M, ck.Value, "tags"))
}

// SetRefusesValuesThatWouldCrash: a value that contains itself, or nests
// absurdly deep, is refused with an error naming its key instead of
// overflowing the stack, with every store.
func SetRefusesValuesThatWouldCrash(t *testing.T, newStore NewStore) {
	selfMap := map[string]any{}
	selfMap["self"] = selfMap
	selfSlice := []any{nil}
	selfSlice[0] = selfSlice
	indirect := map[string]any{"list": []any{nil}}
	indirect["list"].([]any)[0] = indirect
	deep := map[string]any{}
	for range 5000 {
		deep = map[string]any{"d": deep}
	}
	env := storeEnv(t, newStore)
	s, _ := env.Create(t)
	for name, v := range map[string]any{
		"map that holds itself":   selfMap,
		"slice that holds itself": selfSlice,
		"cycle through a slice":   indirect,
		"5000 levels deep":        deep,
	} {
		err := s.Set("bad", v)
		assert.ErrorContainsf(t, err, `key "bad"`, "%s: Set", name)
	}
	_, ok := s.Get("bad")
	assert.False(t, ok)
}

// FlashesAreReadOnce: flash messages added in one request come back from
// the store, in order and with their types, in the next request that reads
// them, and never again; a number read back with manager.Value keeps its
// value whatever type the store's codec gave it.
func FlashesAreReadOnce(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	_, ck := env.Create(t)
	var got [][]any
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		switch r.URL.Path {
		case "/add":
			require.NoError(t, manager.AddFlash(s, "saved"))
			require.NoError(t, manager.AddFlash(s, "and sent"))
			require.NoError(t, s.Set("n", 3.0)) // as the JSON codec gives nested numbers back
		case "/read":
			flashes, err := manager.Flashes(s)
			require.NoError(t, err)
			got = append(got, flashes)
			n, ok := manager.Value[int](s, "n")
			assert.True(t, ok)
			assert.Equal(t, 3, n)
		}
	}))
	for _, path := range []string{"/add", "/read", "/read"} {
		require.Equal(t, http.StatusOK, testkit.Get(h, path, ck).Code, path)
	}
	assert.Equal(t, [][]any{{"saved", "and sent"}, nil}, got)
}
