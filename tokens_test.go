package session_test

// What UseTokens adds to the Gin middleware: token routes beside cookie
// routes on one manager, and the headers of their responses. The parsing of
// the token header is the manager's (TestTokenCarrierReadID,
// FuzzTokenHeader); the strictness every carrier shares is run for tokens
// too by the tests that range over everyCarrier.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// startMixedApp serves, with one manager, the page routes of newApp behind
// the built-in cookie at /, and the same routes behind a token header at
// /api/ (Authorization: Bearer) and /key/ (X-Api-Key), as an application
// with an API route group beside its pages does.
func startMixedApp(t *testing.T, m *session.Manager) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", newApp(session.UseManager(m, nil)))
	mux.Handle("/api/", http.StripPrefix("/api", newApp(session.UseTokens(m, ""))))
	mux.Handle("/key/", http.StripPrefix("/key", newApp(session.UseTokens(m, "X-Api-Key"))))
	return serve(t, mux)
}

// One manager serves both: a session made on one group is the same session
// on the other, reached only through the carrier each group reads (a
// cookie on the pages, the header on the API); the API never sets a cookie
// and never reads one, and renewal on either side kills the old ID on both.
func TestTokenRoutesBesideCookieRoutes(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	srv := startMixedApp(t, m)
	bearer := tokenHeaders{"Authorization", session.TokenHeader}
	apiKey := tokenHeaders{"X-Api-Key", "X-Api-Key"}

	// send sends one request to path with id in the cookie (tokens zero) or
	// the token header, checks the headers every response of its group
	// carries, and returns the response.
	send := func(method, path string, tokens tokenHeaders, id string) exchange {
		t.Helper()
		req := newRequest(t, method, path, nil)
		switch {
		case id == "":
		case tokens.request == "":
			req.AddCookie(&http.Cookie{Name: session.DefaultKey, Value: id})
		default:
			tokens.sendToken(req, id)
		}
		ex := roundTrip(t, srv.URL, req)
		if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/key/") {
			assert.Empty(t, ex.header.Values("Set-Cookie"), "%s %s", method, path)
			assert.NotContains(t, ex.header.Values("Vary"), "Cookie", "%s %s", method, path)
		} else {
			assert.Equal(t, []string{"Cookie"}, ex.header.Values("Vary"), "%s %s", method, path)
		}
		return ex
	}
	whoami := func(path string, tokens tokenHeaders, id string) string {
		t.Helper()
		return send(http.MethodGet, path, tokens, id).body
	}

	created := send(http.MethodPost, "/api/create", bearer, "")
	require.Equal(t, http.StatusOK, created.status)
	token := created.header.Get(session.TokenHeader)
	require.True(t, manager.IsValidID(token), "no token from the API")
	require.Equal(t, http.StatusOK, send(http.MethodPost, "/api/set/cart/book", bearer, token).status)

	assert.Contains(t, whoami("/whoami", tokenHeaders{}, token), "cart=book", "the API's session as the pages' cookie")
	assert.Contains(t, whoami("/key/whoami", apiKey, token), "cart=book", "the API's session in another header")
	assert.Equal(t, "none", whoami("/whoami", bearer, token), "the pages read the Authorization header")
	assert.Equal(t, "none", whoami("/api/whoami", tokenHeaders{}, token), "the API read the cookie")
	assert.Equal(t, "none", whoami("/api/whoami", apiKey, token), "the API read another header")
	assert.Equal(t, "none", whoami("/key/whoami", bearer, token), "X-Api-Key routes read Authorization")

	page := roundTrip(t, srv.URL, newRequest(t, http.MethodPost, "/create", nil)).cookie(session.DefaultKey)
	require.NotNil(t, page)
	assert.Contains(t, whoami("/whoami", tokenHeaders{}, page.Value), "keys=")
	assert.NotEqual(t, "none", whoami("/api/whoami", bearer, page.Value), "the pages' session as a token")
	assert.Equal(t, 2, m.GetSessionSize())

	renewed := send(http.MethodPost, "/api/renew", bearer, page.Value)
	require.Equal(t, http.StatusOK, renewed.status)
	fresh := renewed.header.Get(session.TokenHeader)
	require.True(t, manager.IsValidID(fresh))
	assert.Equal(t, "none", whoami("/whoami", tokenHeaders{}, page.Value), "the old cookie lives on after a renewal on the API")
	assert.NotEqual(t, "none", whoami("/whoami", tokenHeaders{}, fresh))

	require.Equal(t, http.StatusOK, send(http.MethodPost, "/destroy", tokenHeaders{}, fresh).status)
	assert.Equal(t, "none", whoami("/api/whoami", bearer, fresh), "a page logout left the token alive")
	assert.Equal(t, 1, m.GetSessionSize())
}

// Through UseTokens, with Authorization or a header of its own: create and
// renew send the token (and the old one is dead), destroy sends the header
// empty, a read sends nothing; no response sets a cookie; every response
// names the header, and not Cookie, in Vary, even when the handler replaced
// Vary; one that carries a token has Cache-Control: no-store, even when the
// handler set another value after creating the session.
func TestTokenHeadersThroughGin(t *testing.T) {
	for _, carrier := range everyCarrier() {
		if carrier.tokens.request == "" {
			continue // TestSecurityCookieHeadersThroughGin
		}
		t.Run(carrier.name, func(t *testing.T) {
			m := newTestManager(t, testOptions(testkit.NewClock()), nil)
			app := newApp(carrier.use(m))
			addCachedCreate(app)
			srv := serve(t, app)
			reply := carrier.tokens.reply
			send := func(method, path, token string) exchange {
				t.Helper()
				req := newRequest(t, method, path, nil)
				if token != "" {
					carrier.tokens.sendToken(req, token)
				}
				return roundTrip(t, srv.URL, req)
			}

			created := send(http.MethodPost, "/create", "")
			require.Equal(t, http.StatusOK, created.status)
			token := created.header.Get(reply)
			require.True(t, manager.IsValidID(token), "no token on create: %q", created.header)
			renewed := send(http.MethodPost, "/renew", token)
			require.Equal(t, http.StatusOK, renewed.status)
			fresh := renewed.header.Get(reply)
			require.True(t, manager.IsValidID(fresh), "no token on renew")
			require.NotEqual(t, token, fresh)
			assert.Equal(t, "none", send(http.MethodGet, "/whoami", token).body, "the token before the renewal lives on")

			tests := []struct {
				name string
				ex   exchange
				// sends is what the reply header holds: "token" a new
				// token, "" an empty one, "-" none at all.
				sends string
			}{
				{name: "create", ex: created, sends: "token"},
				{name: "renew", ex: renewed, sends: "token"},
				{name: "read", ex: send(http.MethodGet, "/whoami", fresh), sends: "-"},
				{name: "no token", ex: send(http.MethodGet, "/whoami", ""), sends: "-"},
				{name: "not found", ex: send(http.MethodGet, "/nowhere", fresh), sends: "-"},
				{name: "handler sets its own caching headers", ex: send(http.MethodPost, "/cached-create", ""), sends: "token"},
				{name: "destroy", ex: send(http.MethodPost, "/destroy", fresh), sends: ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					assert.Empty(t, tt.ex.header.Values("Set-Cookie"))
					assert.Contains(t, tt.ex.header.Values("Vary"), carrier.tokens.request)
					assert.NotContains(t, tt.ex.header.Values("Vary"), "Cookie")
					values, sent := tt.ex.header[reply]
					switch tt.sends {
					case "-":
						assert.False(t, sent, "%s: %q", reply, values)
						assert.NotContains(t, tt.ex.header.Values("Cache-Control"), "no-store")
						return
					case "":
						assert.Equal(t, []string{""}, values)
					default:
						require.Len(t, values, 1)
						assert.True(t, manager.IsValidID(values[0]), "%s: %q", reply, values)
					}
					assert.Equal(t, []string{"no-store"}, tt.ex.header.Values("Cache-Control"))
				})
			}
			assert.Equal(t, "none", send(http.MethodGet, "/whoami", fresh).body, "the token lives on after destroy")
		})
	}
}

// The manager's own methods, called with c.Request inside a UseTokens route
// (code written for net/http, or for the original package's API), reach
// the route's session through the route's header, as the helpers do:
// looking the request's cookie up instead made the cookie authenticate a
// token route (a CSRF hole on routes SECURITY says need no CSRF token), and
// CreateSession set a cookie there.
func TestManagerMethodsOnATokenRouteThroughGin(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	page, err := m.CreateSession(httptest.NewRequest(http.MethodPost, "/login", nil), httptest.NewRecorder())
	require.NoError(t, err)
	pageID := page.GetId()
	r := gin.New()
	r.Use(session.UseTokens(m, ""))
	r.GET("/whoami", func(c *gin.Context) {
		if s := m.GetSession(c.Request); s != nil {
			c.String(http.StatusOK, s.GetMaskedSessionId())
			return
		}
		c.String(http.StatusOK, "none")
	})
	r.POST("/create", func(c *gin.Context) {
		if _, err := m.CreateSession(c.Request, c.Writer); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.String(http.StatusOK, "created")
	})

	req := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	req.AddCookie(&http.Cookie{Name: session.DefaultKey, Value: pageID})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	assert.Equal(t, "none", rec.Body.String(), "the token route read the cookie")

	req = httptest.NewRequest(http.MethodGet, "/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+pageID)
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	assert.Equal(t, page.GetMaskedSessionId(), rec.Body.String(), "the token route did not read its header")

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/create", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Result().Cookies(), "a token route set a cookie")
	assert.True(t, manager.IsValidID(rec.Header().Get(session.TokenHeader)), "no token from the API")
}
