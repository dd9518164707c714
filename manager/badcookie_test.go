package manager_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

func TestBadCookiesNeverReachTheStore(t *testing.T) {
	st := testkit.NewFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)
	live := ck.Value

	tests := []struct {
		name  string
		value string
		loads int64 // store loads the cookie may cause
	}{
		{name: "truncated", value: live[:42]},
		{name: "44 chars", value: live + "A"},
		{name: "wrong alphabet", value: "+" + live[1:21] + "/" + live[22:]},
		{name: "padded", value: live[:42] + "="},
		{name: "non-canonical", value: strings.Repeat("A", 42) + "B"},
		{name: "oversized", value: strings.Repeat("A", 5000)},
		{name: "empty", value: ""},
		// Controls: well-formed IDs do reach the store.
		{name: "unknown well-formed ID", value: testkit.ValidID(9), loads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sawSession bool
			var handlerRan bool
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				handlerRan = true
				sawSession = env.M.GetSession(r) != nil
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", manager.DefaultCookieName+"="+tt.value)
			rec := httptest.NewRecorder()
			before := st.Loads()
			h.ServeHTTP(rec, r)

			assert.Equal(t, http.StatusOK, rec.Code)
			assert.True(t, handlerRan)
			assert.False(t, sawSession)
			assert.Equal(t, tt.loads, st.Loads()-before, "store loads")
			assert.Empty(t, rec.Header().Values("Set-Cookie"), "a bad cookie is ignored, not answered")
			if tt.value != "" {
				assert.NotContains(t, env.Logs.String(), tt.value, "a log line holds the raw cookie")
			}
		})
	}

	t.Run("control: the live cookie finds its session", func(t *testing.T) {
		var sawSession bool
		h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawSession = env.M.GetSession(r) != nil
		}))
		before := st.Loads()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, testkit.RequestWith(ck))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.True(t, sawSession)
		assert.Equal(t, int64(1), st.Loads()-before)
	})
}
