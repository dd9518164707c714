package session_test

// TestSecurity... tests of how the session cookie is written and read,
// through Gin and each carrier (see security_test.go).

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/memstore"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/internal/testkit"
)

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
					app := newApp(session.UseManager(m, carrier.new()))
					addCachedCreate(app)
					srv := serve(t, app)

					created := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/create", nil))
					require.Equal(t, http.StatusOK, created.status)
					ck := created.cookie(name)
					require.NotNil(t, ck)
					assert.True(t, ck.HttpOnly)
					assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
					assert.Equal(t, "/", ck.Path)
					assert.Empty(t, ck.Domain)
					assert.Equal(t, opts.Secure, ck.Secure)
					assert.Equal(t, 600, ck.MaxAge)

					renewed := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/renew", nil, ck))
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
						{name: "read", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/whoami", nil, ck))},
						{name: "no cookie", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/whoami", nil))},
						{name: "not found", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodGet, "/nowhere", nil, ck))},
						{name: "handler sets its own caching headers", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/cached-create", nil)), setsCookie: true},
						{name: "destroy", ex: roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/destroy", nil, ck)), setsCookie: true},
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

// Requirement 8: through each carrier, the token is read from the place
// the carrier names only (the session cookie, or the token header): never
// from the URL, a form, another header or another cookie, nor from the
// session cookie on a token route.
func TestSecurityIDOnlyFromItsCarrierThroughGin(t *testing.T) {
	for _, carrier := range everyCarrier() {
		t.Run(carrier.name, func(t *testing.T) {
			m := newTestManager(t, testOptions(testkit.NewClock()), nil)
			srv := carrier.start(t, m)
			holder := carrier.client(t, srv)
			status, _ := holder.post("/create")
			require.Equal(t, http.StatusOK, status)
			token := holder.id()
			require.NotEmpty(t, token)
			name := session.DefaultKey
			form := url.Values{name: {token}, "sessionid": {token}, "sid": {token}}

			tests := []struct {
				name    string
				request func() *http.Request
			}{
				{name: "query", request: func() *http.Request {
					return newRequest(t, http.MethodGet, "/whoami?"+form.Encode(), nil)
				}},
				{name: "urlencoded form", request: func() *http.Request {
					r := newRequest(t, http.MethodGet, "/whoami", strings.NewReader(form.Encode()))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					return r
				}},
				{name: "multipart form", request: func() *http.Request {
					body, contentType := testkit.MultipartBody(t, name, token)
					r := newRequest(t, http.MethodGet, "/whoami", body)
					r.Header.Set("Content-Type", contentType)
					return r
				}},
				{name: "headers", request: func() *http.Request {
					r := newRequest(t, http.MethodGet, "/whoami", nil)
					if carrier.tokens.request != "Authorization" {
						r.Header.Set("Authorization", "Bearer "+token)
					}
					r.Header.Set(name, token)
					r.Header.Set("X-Session-Id", token)
					r.Header.Set(session.TokenHeader, token)
					return r
				}},
				{name: "other cookies", request: func() *http.Request {
					r := newRequest(t, http.MethodGet, "/whoami", nil)
					r.Header.Set("Cookie", "Session-Key="+token+"; x"+name+"="+token+"; sid="+token)
					return r
				}},
			}
			if carrier.tokens.request != "" {
				tests = append(tests, struct {
					name    string
					request func() *http.Request
				}{name: "the session cookie on a token route", request: func() *http.Request {
					return newRequest(t, http.MethodGet, "/whoami", nil, &http.Cookie{Name: name, Value: token})
				}})
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ex := roundTrip(t, srv.URL, tt.request())
					assert.Equal(t, http.StatusOK, ex.status)
					assert.Equal(t, "none", ex.body, "the token was taken from outside its carrier")
				})
			}
			t.Run("control: the carrier", func(t *testing.T) {
				_, body := holder.withID(token).get("/whoami")
				assert.NotEqual(t, "none", body)
			})
		})
	}
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
				m, counting := newFaultyManager(t, nil, nil)
				carrier := &decodeCounter{Store: cs.new()}
				srv := startApp(t, m, carrier)
				carrier.reset() // building the middleware read the store's options, with no cookie

				req := newRequest(t, http.MethodGet, "/whoami", nil)
				req.Header.Set("Cookie", session.DefaultKey+"="+strings.Repeat("A", tt.length))
				ex := roundTrip(t, srv.URL, req)
				assert.Equal(t, http.StatusOK, ex.status)
				assert.Equal(t, "none", ex.body)
				assert.Equal(t, tt.wantDecodes, carrier.decodes.Load(), "decodes by the gin-contrib store")
				assert.Zero(t, counting.Loads(), "the session store was asked")
			})
		}
	}
}

// addCachedCreate adds POST /cached-create to app: a handler that creates a
// session and marks its response cacheable (Cache-Control public, Vary
// Accept-Encoding), which the session's headers must override.
func addCachedCreate(app *gin.Engine) {
	app.POST("/cached-create", func(c *gin.Context) {
		if _, err := session.CreateSession(c); err != nil {
			c.String(http.StatusInternalServerError, "create failed")
			return
		}
		c.Header("Cache-Control", "public, max-age=3600")
		c.Header("Vary", "Accept-Encoding")
		c.String(http.StatusOK, "cacheable?")
	})
}
