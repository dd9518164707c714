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

// sendToken runs h on a request for target whose header holds exactly
// value (no header when value is "-").
func sendToken(h http.Handler, method, target, header string, values ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if len(values) > 0 {
		r.Header[http.CanonicalHeaderKey(header)] = values
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// A malformed Authorization header, or a token of the wrong length or
// alphabet, means no session: a 200 with no store access and no header
// that tells the client anything; it is never a 500. These are requests as
// a handler sees them, with CR and LF a server would have refused.
func TestTokenHandlerMalformedHeaders(t *testing.T) {
	faulty := testkit.NewFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: faulty}, nil)
	h := env.M.TokenHandler("", testkit.Routes(env.M))
	id := testkit.ValidID(0)
	for _, value := range []string{
		"Bearer " + id[:42],
		"Bearer " + id + "A",
		"Bearer " + id[:42] + "B", // not canonical
		"Bearer " + strings.Repeat("+", 43),
		"Bearer " + id + " " + id,
		"Bearer " + id + ",Bearer " + id,
		"Bearer " + id + "\r\nX-Evil: 1",
		"Bearer " + id + "\n",
		"Bearer\t" + id,
		"Basic " + id,
		"Token " + id,
		id,
		"Bearer " + strings.Repeat("A", 64<<10),
	} {
		rec := sendToken(h, http.MethodGet, "/whoami", "Authorization", value)
		assert.Equal(t, http.StatusOK, rec.Code, "%.60q", value)
		assert.Equal(t, "none", rec.Body.String(), "%.60q", value)
		assert.Empty(t, rec.Header().Values(manager.TokenHeader), "%.60q", value)
	}
	rec := sendToken(h, http.MethodGet, "/whoami", "Authorization", "Bearer "+id, "Bearer "+id)
	assert.Equal(t, "none", rec.Body.String(), "two Authorization lines")
	assert.Zero(t, faulty.Loads(), "the store was asked")

	rec = sendToken(h, http.MethodGet, "/whoami", "Authorization", "Bearer "+id)
	assert.Equal(t, "none", rec.Body.String(), "an unknown token was adopted")
	assert.Equal(t, int64(1), faulty.Loads(), "control: a well-formed token is looked up")
	assert.Zero(t, env.M.GetSessionSize(), "a lookup created a session")
}

// Through TokenHandler, with Authorization or a named header: the token
// comes back in a response header on create and renew (the old one then
// dead), an empty header on destroy; no response sets a cookie, each names
// the header in Vary, and one that carries a token is not to be stored. A
// session cookie means nothing on a token route.
func TestTokenHandler(t *testing.T) {
	tests := []struct {
		header, reply, prefix string
	}{
		{header: "", reply: manager.TokenHeader, prefix: "Bearer "},
		{header: "X-Session-Token", reply: "X-Session-Token"},
	}
	for _, tt := range tests {
		t.Run(tt.reply, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{}, nil)
			h := env.M.TokenHandler(tt.header, testkit.Routes(env.M))
			request := "Authorization"
			if tt.header != "" {
				request = tt.header
			}
			send := func(path, token string) *httptest.ResponseRecorder {
				t.Helper()
				rec := sendToken(h, http.MethodPost, path, request, tt.prefix+token)
				assert.Empty(t, rec.Header().Values("Set-Cookie"), path)
				assert.Equal(t, []string{request}, rec.Header().Values("Vary"), path)
				_, carries := rec.Header()[tt.reply]
				assert.Equal(t, carries, rec.Header().Get("Cache-Control") == "no-store", path)
				return rec
			}

			created := send("/create", "")
			require.Equal(t, http.StatusOK, created.Code)
			token := created.Header().Get(tt.reply)
			require.True(t, manager.IsValidID(token), "no token on create")
			require.Equal(t, http.StatusOK, send("/set?k=cart&v=book", token).Code)

			renewed := send("/renew", token)
			require.Equal(t, http.StatusOK, renewed.Code)
			fresh := renewed.Header().Get(tt.reply)
			require.True(t, manager.IsValidID(fresh), "no token on renew")
			assert.NotEqual(t, token, fresh)
			assert.Equal(t, "none", send("/whoami", token).Body.String(), "the old token lives on")
			assert.Contains(t, send("/whoami", fresh).Body.String(), "cart=book")
			assert.Empty(t, send("/whoami", fresh).Header().Values(tt.reply), "a read sent the token again")

			cookie := testkit.Get(h, "/whoami", &http.Cookie{Name: env.CookieName, Value: fresh})
			assert.Equal(t, "none", cookie.Body.String(), "a token route read the cookie")

			destroyed := send("/destroy", fresh)
			require.Equal(t, http.StatusOK, destroyed.Code)
			assert.Equal(t, []string{""}, destroyed.Header().Values(tt.reply), "destroy does not clear the token")
			assert.Equal(t, "none", send("/whoami", fresh).Body.String())
			assert.Zero(t, env.M.GetSessionSize())
		})
	}
}
