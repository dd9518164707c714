package manager_test

// The session cookie and the headers sent with it (SECURITY.md,
// requirements 6 and 7).

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
)

// Requirement 7: a cookie named with the __Host- prefix is sent Secure,
// with Path=/ and no Domain, on every response that sets it; options that
// break those rules panic at NewManager with a message that says why.
func TestSecurityHostPrefixCookie(t *testing.T) {
	t.Run("the cookie", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{CookieName: "__Host-sid", Secure: true}, nil)
		h := testkit.App(env.M)
		created := testkit.Send(h, http.MethodPost, "https://example.test/create")
		ck := testkit.SessionCookie(t, created, "__Host-sid")
		renewed := testkit.Send(h, http.MethodPost, "https://example.test/renew", ck)
		destroyed := testkit.Send(h, http.MethodPost, "https://example.test/destroy", testkit.SessionCookie(t, renewed, "__Host-sid"))
		for name, rec := range map[string]*httptest.ResponseRecorder{"create": created, "renew": renewed, "destroy": destroyed} {
			raw := rec.Header().Values("Set-Cookie")
			require.Lenf(t, raw, 1, "%s: Set-Cookie", name)
			assert.Truef(t, strings.HasPrefix(raw[0], "__Host-sid="), "%s: %s", name, raw[0])
			assert.Containsf(t, raw[0], "; Path=/;", "%s: %s", name, raw[0])
			assert.Containsf(t, raw[0], "; Secure", "%s: %s", name, raw[0])
			assert.Containsf(t, raw[0], "; HttpOnly", "%s: %s", name, raw[0])
			assert.NotContainsf(t, raw[0], "Domain=", "%s: %s", name, raw[0])
		}
	})

	t.Run("options that break the prefix", func(t *testing.T) {
		tests := []struct {
			name string
			opts manager.Options
		}{
			{name: "Secure off", opts: manager.Options{CookieName: "__Host-sid"}},
			{name: "Path /app", opts: manager.Options{CookieName: "__Host-sid", Secure: true, Path: "/app"}},
			{name: "a Domain", opts: manager.Options{CookieName: "__Host-sid", Secure: true, Domain: "example.test"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.opts.Logger, tt.opts.GcStopChan = slog.New(slog.DiscardHandler), testkit.StoppedSweeper()
				assert.PanicsWithError(t, `session: cookie name "__Host-sid" needs Secure, Path "/" and no Domain`, func() {
					_ = manager.NewManager(tt.opts, nil, nil)
				})
			})
		}
	})

	t.Run("Secure is one option away", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{Secure: true}, nil)
		_, ck := env.Create(t)
		assert.True(t, ck.Secure)
		assert.True(t, ck.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
		assert.Equal(t, "/", ck.Path)
	})
}

// Requirement 7: a response that sets or expires the cookie carries
// Cache-Control: no-store, even when the handler set another value after
// the cookie; every response carries Vary: Cookie, even when the handler
// replaced its Vary header.
func TestSecurityCacheControlAndVary(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	app := testkit.App(env.M)
	_, live := env.Create(t)
	fresh := func() *http.Cookie { _, ck := env.Create(t); return ck }

	// cachingApp is an application that asks caches to keep its responses.
	cachingApp := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Encoding")
		if r.URL.Path == "/create" {
			if _, err := env.M.CreateSession(r, w); err != nil {
				http.Error(w, "failed", http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Vary", "Accept-Encoding")
		_, _ = io.WriteString(w, "cacheable?")
	}))

	tests := []struct {
		name       string
		rec        *httptest.ResponseRecorder
		setsCookie bool
	}{
		{name: "no cookie", rec: testkit.Send(app, http.MethodGet, "/whoami")},
		{name: "a read", rec: testkit.Send(app, http.MethodGet, "/whoami", live)},
		{name: "a write", rec: testkit.Send(app, http.MethodPost, "/set?k=a&v=b", live)},
		{name: "not found", rec: testkit.Send(app, http.MethodGet, "/nowhere", live)},
		{name: "create", rec: testkit.Send(app, http.MethodPost, "/create"), setsCookie: true},
		{name: "renew", rec: testkit.Send(app, http.MethodPost, "/renew", fresh()), setsCookie: true},
		{name: "destroy", rec: testkit.Send(app, http.MethodPost, "/destroy", fresh()), setsCookie: true},
		{name: "invalidate", rec: testkit.Send(app, http.MethodPost, "/invalidate", fresh()), setsCookie: true},
		{name: "caching app, read", rec: testkit.Send(cachingApp, http.MethodGet, "/", live)},
		{name: "caching app, create", rec: testkit.Send(cachingApp, http.MethodPost, "/create"), setsCookie: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, tt.rec.Header().Values("Vary"), "Cookie")
			sets := len(tt.rec.Header().Values("Set-Cookie")) > 0
			require.Equal(t, tt.setsCookie, sets, "Set-Cookie: %q", tt.rec.Header().Values("Set-Cookie"))
			if tt.setsCookie {
				assert.Equal(t, []string{"no-store"}, tt.rec.Header().Values("Cache-Control"))
			} else {
				assert.NotContains(t, tt.rec.Header().Values("Cache-Control"), "no-store", "no-store on a response without a cookie costs caching for nothing")
			}
		})
	}
}

// TestSecurityLogout runs on the memory store; internal/e2e runs it on Redis.
func TestSecurityLogout(t *testing.T) { managertest.SecurityLogout(t, managertest.Memory) }
