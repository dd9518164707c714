package session_test

// The tests named TestSecurity... prove, through Gin and each carrier, the
// requirements that SECURITY.md lists. The manager package's tests of the
// same names prove them against each store.

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/memstore"
	"github.com/gin-gonic/gin"
	gsessions "github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// newSecurityApp is newApp with a login route done right: it renews the
// session the request brings, or creates one, then marks the user.
func newSecurityApp(m *session.Manager, carrier sessions.Store) *gin.Engine {
	r := newApp(m, carrier)
	r.POST("/secure-login", func(c *gin.Context) {
		s, err := session.RenewSession(c)
		if errors.Is(err, manager.ErrNoSession) {
			s, err = session.CreateSession(c)
		}
		if err == nil {
			err = s.Set("user", "victim")
		}
		if err != nil {
			c.String(http.StatusInternalServerError, "login failed")
			return
		}
		c.String(http.StatusOK, "welcome")
	})
	return r
}

// exchange is one request and its response, with explicit cookies and no
// cookie jar, so that the test sees every Set-Cookie as sent.
type exchange struct {
	status int
	header http.Header
	body   string
}

// cookie returns the cookie called name that the response set, or nil.
func (e exchange) cookie(name string) *http.Cookie {
	for _, ck := range (&http.Response{Header: e.header}).Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// roundTrip sends req to the server behind base and reads the whole
// response.
func roundTrip(t *testing.T, base string, req *http.Request) exchange {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	res, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return exchange{status: res.StatusCode, header: res.Header, body: string(body)}
}

// newRequest returns a request for path that carries the given cookies.
func newRequest(t *testing.T, method, path string, cookies ...*http.Cookie) *http.Request {
	t.Helper()
	return newRequestWithBody(t, method, path, nil, cookies...)
}

// newRequestWithBody returns a request for path with body that carries the
// given cookies.
func newRequestWithBody(t *testing.T, method, path string, body io.Reader, cookies ...*http.Cookie) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "http://placeholder"+path, body)
	require.NoError(t, err)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	return req
}

// Requirement 4: a cookie planted in a victim's browser, issued or not, is
// worthless once the victim logs in through a route that renews.
func TestSecurityFixationThroughGin(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			m := newTestManager(t, testOptions(testkit.NewClock()), nil)
			srv := newTestServer(t, newSecurityApp(m, carrier.new()))

			attacker := newClient(t, srv)
			status, _ := attacker.post("/create")
			require.Equal(t, http.StatusOK, status)
			planted := attacker.cookie(session.DefaultKey)
			require.NotEmpty(t, planted)

			victim := attacker.withCookie(session.DefaultKey, planted)
			status, _ = victim.post("/secure-login")
			require.Equal(t, http.StatusOK, status)
			assert.NotEqual(t, planted, victim.cookie(session.DefaultKey))

			_, seen := attacker.get("/whoami")
			assert.Equal(t, "none", seen, "the planted cookie still leads to a session")
			_, own := victim.get("/whoami")
			assert.Contains(t, own, "user=victim")
			assert.Equal(t, 1, m.GetSessionSize())
		})
	}

	t.Run("an ID the server never issued", func(t *testing.T) {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		srv := newTestServer(t, newSecurityApp(m, nil))
		planted := encodeID(bytes.Repeat([]byte{0x5A}, 32))
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
			srv := newTestServer(t, newSecurityApp(m, carrier.new()))

			login := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/secure-login"))
			require.Equal(t, http.StatusOK, login.status)
			ck := login.cookie(session.DefaultKey)
			require.NotNil(t, ck)
			require.Equal(t, "/app", ck.Path)
			require.Equal(t, "example.test", ck.Domain)

			logout := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/destroy", ck))
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

			replay := roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/whoami", ck))
			assert.Equal(t, "none", replay.body, "the old cookie still leads to a session")
			assert.Empty(t, replay.header.Values("Set-Cookie"))
			assert.Equal(t, http.StatusConflict, roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/renew", ck)).status)
			assert.Zero(t, m.GetSessionSize())
		})
	}
}

// Requirement 7: through each carrier, the cookie is HttpOnly, SameSite=Lax
// and Path=/ by default, a __Host- name gets Secure, Path=/ and no Domain,
// responses that set the cookie carry Cache-Control: no-store (even when
// the handler set another value after the cookie) and every response
// carries Vary: Cookie (even when the handler replaced Vary).
func TestSecurityCookieHeadersThroughGin(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			for _, name := range []string{session.DefaultKey, "__Host-sid"} {
				t.Run(name, func(t *testing.T) {
					opts := testOptions(testkit.NewClock())
					opts.CookieName, opts.Secure = name, name != session.DefaultKey
					m := newTestManager(t, opts, nil)
					app := newSecurityApp(m, carrier.new())
					app.POST("/cached-create", func(c *gin.Context) {
						if _, err := session.CreateSession(c); err != nil {
							c.String(http.StatusInternalServerError, "create failed")
							return
						}
						c.Header("Cache-Control", "public, max-age=3600")
						c.Header("Vary", "Accept-Encoding")
						c.String(http.StatusOK, "cacheable?")
					})
					srv := newTestServer(t, app)

					created := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/create"))
					require.Equal(t, http.StatusOK, created.status)
					ck := created.cookie(name)
					require.NotNil(t, ck)
					assert.True(t, ck.HttpOnly)
					assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
					assert.Equal(t, "/", ck.Path)
					assert.Empty(t, ck.Domain)
					assert.Equal(t, opts.Secure, ck.Secure)
					assert.Equal(t, 600, ck.MaxAge)

					renewed := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/renew", ck))
					require.Equal(t, http.StatusOK, renewed.status)
					ck = renewed.cookie(name)
					require.NotNil(t, ck)
					tests := []struct {
						name       string
						ex         exchange
						setsCookie bool
					}{
						{name: "create", ex: created, setsCookie: true},
						{name: "renew", ex: renewed, setsCookie: true},
						{name: "read", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/whoami", ck))},
						{name: "no cookie", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/whoami"))},
						{name: "not found", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/nowhere", ck))},
						{name: "handler sets its own caching headers", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/cached-create")), setsCookie: true},
						{name: "destroy", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/destroy", ck)), setsCookie: true},
					}
					for _, tt := range tests {
						t.Run(tt.name, func(t *testing.T) {
							assert.Contains(t, tt.ex.header.Values("Vary"), "Cookie")
							raw := tt.ex.header.Values("Set-Cookie")
							require.Equal(t, tt.setsCookie, len(raw) > 0, "Set-Cookie: %q", raw)
							if !tt.setsCookie {
								assert.NotContains(t, tt.ex.header.Values("Cache-Control"), "no-store")
								return
							}
							assert.Equal(t, []string{"no-store"}, tt.ex.header.Values("Cache-Control"))
							require.Len(t, raw, 1)
							assert.True(t, strings.HasPrefix(raw[0], name+"="), raw[0])
							assert.Contains(t, raw[0], "; Path=/", raw[0])
							assert.Contains(t, raw[0], "; HttpOnly", raw[0])
							assert.NotContains(t, raw[0], "Domain=", raw[0])
							if opts.Secure {
								assert.Contains(t, raw[0], "; Secure", raw[0])
							}
						})
					}
				})
			}
		})
	}
}

// Requirement 8: through each carrier, the token is read from the session
// cookie only: never from the URL, a form, another header or another
// cookie.
func TestSecurityIDOnlyFromCookieThroughGin(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			m := newTestManager(t, testOptions(testkit.NewClock()), nil)
			srv := newTestServer(t, newSecurityApp(m, carrier.new()))
			browser := newClient(t, srv)
			status, _ := browser.post("/create")
			require.Equal(t, http.StatusOK, status)
			token := browser.cookie(session.DefaultKey)
			require.NotEmpty(t, token)
			name := session.DefaultKey
			form := url.Values{name: {token}, "sessionid": {token}, "sid": {token}}

			multipartBody := func() (*bytes.Buffer, string) {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				require.NoError(t, mw.WriteField(name, token))
				require.NoError(t, mw.Close())
				return &buf, mw.FormDataContentType()
			}
			tests := []struct {
				name    string
				request func() *http.Request
			}{
				{name: "query", request: func() *http.Request {
					return newRequest(t, http.MethodGet, "/whoami?"+form.Encode())
				}},
				{name: "urlencoded form", request: func() *http.Request {
					r := newRequestWithBody(t, http.MethodGet, "/whoami", strings.NewReader(form.Encode()))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					return r
				}},
				{name: "multipart form", request: func() *http.Request {
					body, contentType := multipartBody()
					r := newRequestWithBody(t, http.MethodGet, "/whoami", body)
					r.Header.Set("Content-Type", contentType)
					return r
				}},
				{name: "headers", request: func() *http.Request {
					r := newRequest(t, http.MethodGet, "/whoami")
					r.Header.Set("Authorization", "Bearer "+token)
					r.Header.Set(name, token)
					r.Header.Set("X-Session-Id", token)
					return r
				}},
				{name: "other cookies", request: func() *http.Request {
					r := newRequest(t, http.MethodGet, "/whoami")
					r.Header.Set("Cookie", "Session-Key="+token+"; x"+name+"="+token+"; sid="+token)
					return r
				}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ex := roundTrip(t, srv.URL, tt.request())
					assert.Equal(t, http.StatusOK, ex.status)
					assert.Equal(t, "none", ex.body, "the token was taken from outside the cookie")
				})
			}
			t.Run("control: the cookie", func(t *testing.T) {
				ex := roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/whoami", &http.Cookie{Name: name, Value: token}))
				assert.NotEqual(t, "none", ex.body)
			})
		})
	}
}

// decodeCounter is a gin-contrib store that counts the cookies it was asked
// to decode.
type decodeCounter struct {
	sessions.Store
	decodes atomic.Int64
}

func (s *decodeCounter) New(r *http.Request, name string) (*gsessions.Session, error) {
	s.decodes.Add(1)
	return s.Store.New(r, name)
}

func (s *decodeCounter) Get(r *http.Request, name string) (*gsessions.Session, error) {
	s.decodes.Add(1)
	return s.Store.Get(r, name)
}

// Requirement 9: a session cookie longer than 4096 bytes is refused before
// the gin-contrib store decodes it (for the built-in cookie, see the
// manager package's test of the same name).
func TestSecurityOversizedCookieRefusedBeforeDecoding(t *testing.T) {
	contribStores := []struct {
		name string
		new  func() sessions.Store
	}{
		{"gin-contrib cookie", func() sessions.Store { return cookie.NewStore(carrierKey) }},
		{"gin-contrib memstore", func() sessions.Store { return memstore.NewStore(carrierKey) }},
	}
	tests := []struct {
		name        string
		length      int
		wantDecodes int64
	}{
		{name: "at the limit", length: seam.MaxCookieSize, wantDecodes: 1},
		{name: "one byte over", length: seam.MaxCookieSize + 1},
		{name: "64 KiB", length: 64 << 10},
	}
	for _, cs := range contribStores {
		for _, tt := range tests {
			t.Run(cs.name+"/"+tt.name, func(t *testing.T) {
				counting := newCountingStore()
				opts := testOptions(testkit.NewClock())
				opts.Store = counting
				m := newTestManager(t, opts, nil)
				carrier := &decodeCounter{Store: cs.new()}
				srv := newTestServer(t, newApp(m, carrier))
				carrier.decodes.Store(0) // building the middleware read the store's options, with no cookie

				req := newRequest(t, http.MethodGet, "/whoami")
				req.Header.Set("Cookie", session.DefaultKey+"="+strings.Repeat("A", tt.length))
				ex := roundTrip(t, srv.URL, req)
				assert.Equal(t, http.StatusOK, ex.status)
				assert.Equal(t, "none", ex.body)
				assert.Equal(t, tt.wantDecodes, carrier.decodes.Load(), "decodes by the gin-contrib store")
				assert.Zero(t, counting.loads.Load(), "the session store was asked")
			})
		}
	}
}

// Requirement 10: through each carrier, a store error while loading is a
// 503 through the error handler, with only the status text, no Set-Cookie,
// and no new session; the session is intact once the store is back.
func TestSecurityFailClosedThroughGin(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			failing := newCountingStore()
			opts := testOptions(testkit.NewClock())
			opts.Store = failing
			ev := newEvents()
			m := newTestManager(t, opts, ev.handle)
			srv := newTestServer(t, newSecurityApp(m, carrier.new()))
			browser := newClient(t, srv)
			browser.post("/secure-login")
			ck := &http.Cookie{Name: session.DefaultKey, Value: browser.cookie(session.DefaultKey)}
			require.NotEmpty(t, ck.Value)

			failing.failLoad.Store(true)
			for _, path := range []string{"/whoami", "/create", "/secure-login", "/renew", "/destroy", "/set/user/mallory"} {
				method := http.MethodPost
				if path == "/whoami" {
					method = http.MethodGet
				}
				ex := roundTrip(t, srv.URL, newRequest(t, method, path, ck))
				assert.Equal(t, http.StatusServiceUnavailable, ex.status, path)
				assert.Equal(t, "Service Unavailable\n", ex.body, path)
				assert.Empty(t, ex.header.Values("Set-Cookie"), path)
				assert.Contains(t, ex.header.Values("Vary"), "Cookie", path)
			}
			assert.Equal(t, 1, ev.count(session.Created), "a session was created during the outage")

			failing.failLoad.Store(false)
			assert.Equal(t, 1, m.GetSessionSize())
			_, who := browser.get("/whoami")
			assert.Contains(t, who, "user=victim", "the session did not survive the outage")
		})
	}

	t.Run("custom ErrorHandler", func(t *testing.T) {
		failing := newCountingStore()
		opts := testOptions(testkit.NewClock())
		opts.Store = failing
		var got atomic.Value
		opts.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
			got.Store(err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		}
		m := newTestManager(t, opts, nil)
		srv := newTestServer(t, newSecurityApp(m, nil))
		browser := newClient(t, srv)
		browser.post("/create")
		failing.failLoad.Store(true)

		status, body := browser.get("/whoami")
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.Equal(t, "try again later\n", body)
		err, _ := got.Load().(error)
		require.Error(t, err)
		assert.ErrorIs(t, err, store.ErrUnavailable)
		assert.ErrorIs(t, err, errInjected)
	})
}
