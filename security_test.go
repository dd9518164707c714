package session_test

// The tests named TestSecurity... prove, through Gin and each carrier, the
// requirements that SECURITY.md lists. The manager package's tests of the
// same names prove them against each store. This file holds the session's
// lifecycle (fixation, logout, fail closed); security_cookie_test.go, how
// the cookie is written and read.

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

// Requirement 4: a cookie or token planted in a victim's browser or app,
// issued or not, is worthless once the victim logs in through a route that
// renews, and the renewal keeps the session's values and creation time.
func TestSecurityFixationThroughGin(t *testing.T) {
	for _, carrier := range everyCarrier() {
		t.Run(carrier.name, func(t *testing.T) {
			clock := testkit.NewClock()
			m := newTestManager(t, testOptions(clock), nil)
			srv := carrier.start(t, m)

			attacker := carrier.client(t, srv)
			status, _ := attacker.post("/create")
			require.Equal(t, http.StatusOK, status)
			planted := attacker.id()
			require.NotEmpty(t, planted)
			victim := attacker.withID(planted)
			status, _ = victim.post("/set/cart/book")
			require.Equal(t, http.StatusOK, status)
			_, before := victim.get("/whoami")
			clock.Advance(10 * time.Second)
			status, _ = victim.post("/secure-login")
			require.Equal(t, http.StatusOK, status)
			assert.NotEqual(t, planted, victim.id(), "the cookie or token did not change")

			_, after := victim.get("/whoami")
			require.NotEqual(t, "none", after)
			assert.Equal(t, strings.Fields(before)[1], strings.Fields(after)[1], "same creation time")
			assert.NotEqual(t, strings.Fields(before)[0], strings.Fields(after)[0], "new masked ID")
			assert.Equal(t, "keys=cart=book,user=victim", strings.Fields(after)[2], "values kept through the renewal")

			_, seen := attacker.get("/whoami")
			assert.Equal(t, "none", seen, "the planted cookie still leads to a session")
			status, _ = attacker.post("/renew")
			assert.Equal(t, http.StatusConflict, status, "the planted cookie can still renew")
			assert.Equal(t, 1, m.GetSessionSize())
		})
	}

	t.Run("an ID the server never issued", func(t *testing.T) {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		srv := startApp(t, m, nil)
		planted := testkit.ValidID(0x5A)
		victim := newClient(t, srv).withCookie(session.DefaultKey, planted)
		status, _ := victim.post("/secure-login")
		require.Equal(t, http.StatusOK, status)
		assert.NotEqual(t, planted, victim.cookie(session.DefaultKey))
		_, seen := newClient(t, srv).withCookie(session.DefaultKey, planted).get("/whoami")
		assert.Equal(t, "none", seen)
		assert.Equal(t, 1, m.GetSessionSize())
	})
}

// Requirement 6: DestroySession deletes the record and expires the cookie
// with the same name, Path, Domain and attributes, whatever the carrier; the
// old cookie replayed afterwards finds nothing.
func TestSecurityLogoutThroughGin(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			opts := testOptions(testkit.NewClock())
			opts.Path, opts.Domain, opts.Secure = "/app", "example.test", true
			m := newTestManager(t, opts, nil)
			srv := startApp(t, m, carrier.new())

			login := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/secure-login", nil))
			require.Equal(t, http.StatusOK, login.status)
			ck := login.cookie(session.DefaultKey)
			require.NotNil(t, ck)
			require.Equal(t, "/app", ck.Path)
			require.Equal(t, "example.test", ck.Domain)

			logout := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/destroy", nil, ck))
			require.Equal(t, http.StatusOK, logout.status)
			require.Len(t, logout.header.Values("Set-Cookie"), 1)
			gone := logout.cookie(session.DefaultKey)
			require.NotNil(t, gone)
			assert.Less(t, gone.MaxAge, 0, "the cookie does not expire: %s", logout.header.Get("Set-Cookie"))
			assert.Equal(t, ck.Path, gone.Path)
			assert.Equal(t, ck.Domain, gone.Domain)
			assert.Equal(t, ck.Secure, gone.Secure)
			assert.Equal(t, ck.HttpOnly, gone.HttpOnly)
			assert.Equal(t, ck.SameSite, gone.SameSite)
			assert.Equal(t, "no-store", logout.header.Get("Cache-Control"))
			assert.Zero(t, m.GetSessionSize(), "the record outlived logout")

			replay := roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/whoami", nil, ck))
			assert.Equal(t, "none", replay.body, "the old cookie still leads to a session")
			assert.Empty(t, replay.header.Values("Set-Cookie"))
			assert.Equal(t, http.StatusConflict, roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/renew", nil, ck)).status)
			assert.Zero(t, m.GetSessionSize())
		})
	}
}

// Requirement 10: through each carrier, a store error while loading is a
// 503 through the error handler, with only the status text, no Set-Cookie
// or token, and no new session; the session is intact once the store is
// back.
func TestSecurityFailClosedThroughGin(t *testing.T) {
	for _, carrier := range everyCarrier() {
		t.Run(carrier.name, func(t *testing.T) {
			ev := &testkit.Events{}
			m, failing := newFaultyManager(t, errStoreDown, ev.Handle)
			srv := carrier.start(t, m)
			browser := carrier.client(t, srv)
			browser.post("/secure-login")
			id := browser.id()
			require.NotEmpty(t, id)

			failing.FailLoad.Store(true)
			for _, path := range []string{"/whoami", "/create", "/secure-login", "/renew", "/destroy", "/set/user/mallory"} {
				method := http.MethodPost
				if path == "/whoami" {
					method = http.MethodGet
				}
				ex := browser.send(method, path)
				assert.Equal(t, http.StatusServiceUnavailable, ex.status, path)
				assert.Equal(t, "Service Unavailable\n", ex.body, path)
				assert.Empty(t, ex.header.Values("Set-Cookie"), path)
				assert.Contains(t, ex.header.Values("Vary"), carrier.vary(), path)
				if carrier.tokens.reply != "" {
					assert.Empty(t, ex.header.Values(carrier.tokens.reply), path)
				}
				assert.Equal(t, id, browser.id(), path)
			}
			assert.Equal(t, 1, ev.CountKind(session.Created), "a session was created during the outage")

			failing.FailLoad.Store(false)
			assert.Equal(t, 1, m.GetSessionSize())
			_, who := browser.get("/whoami")
			assert.Contains(t, who, "user=victim", "the session did not survive the outage")
		})
	}

	t.Run("custom ErrorHandler", func(t *testing.T) {
		failing := testkit.NewFaultyStore()
		failing.Err = errStoreDown
		opts := testOptions(testkit.NewClock())
		opts.Store = failing
		var got atomic.Value
		opts.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
			got.Store(err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		}
		m := newTestManager(t, opts, nil)
		srv := startApp(t, m, nil)
		browser := newClient(t, srv)
		browser.post("/create")
		failing.FailLoad.Store(true)

		status, body := browser.get("/whoami")
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.Equal(t, "try again later\n", body)
		err, _ := got.Load().(error)
		require.Error(t, err)
		assert.ErrorIs(t, err, store.ErrUnavailable)
		assert.ErrorIs(t, err, testkit.ErrInjected)
	})
}
