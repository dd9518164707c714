package session_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
)

// The tests talk to their app in two ways: a client is a browser, with a
// cookie jar, or an API client that keeps its token, for flows of several
// requests; roundTrip sends one request with explicit cookies and no jar, so
// that the test sees every Set-Cookie as sent.

// client is a browser: an HTTP client with its own cookie jar. A client of
// token routes (see idCarrier.client) also holds a token, which it sends in
// its header and replaces with what the responses send.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	// tokens is the token carrier the client talks to; the zero value for a
	// browser.
	tokens tokenHeaders
	// token is the token the client holds; holds is whether it holds one
	// (it may be empty, as a test planted it).
	token string
	holds bool
}

// tokenHeaders are the headers of a token route: the request header that
// carries the token (Authorization: Bearer, or the token alone), and the
// response header that sends a new one, or an empty one to forget.
type tokenHeaders struct{ request, reply string }

// sendToken makes req carry token as a client of h does.
func (h tokenHeaders) sendToken(req *http.Request, token string) {
	if h.request == "Authorization" {
		token = "Bearer " + token
	}
	req.Header.Set(h.request, token)
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: srv.URL, http: &http.Client{
		Jar: jar,
		// Tests look at redirects themselves.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// newSession returns a browser of srv that has just created a session
// (POST /create), and the value of its session cookie.
func newSession(t *testing.T, srv *httptest.Server) (*client, string) {
	t.Helper()
	browser := newClient(t, srv)
	status, _ := browser.post("/create")
	require.Equal(t, http.StatusOK, status)
	value := browser.cookie(session.DefaultKey)
	require.NotEmpty(t, value, "no session cookie")
	return browser, value
}

// do sends a request and returns the status and body.
func (c *client) do(method, path string) (int, string) {
	c.t.Helper()
	ex := c.send(method, path)
	return ex.status, ex.body
}

// send sends a request and returns what the client saw.
func (c *client) send(method, path string) exchange {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, nil)
	require.NoError(c.t, err)
	if c.holds {
		c.tokens.sendToken(req, c.token)
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	if v, ok := res.Header[c.tokens.reply]; ok && c.tokens.reply != "" {
		c.token, c.holds = v[0], v[0] != ""
	}
	return exchange{status: res.StatusCode, header: res.Header, body: string(body)}
}

func (c *client) get(path string) (int, string)  { return c.do(http.MethodGet, path) }
func (c *client) post(path string) (int, string) { return c.do(http.MethodPost, path) }

// cookies returns the client's cookies for the server.
func (c *client) cookies() []*http.Cookie {
	u, err := url.Parse(c.base)
	require.NoError(c.t, err)
	return c.http.Jar.Cookies(u)
}

// cookie returns the value of the named cookie, or "".
func (c *client) cookie(name string) string {
	for _, ck := range c.cookies() {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// id returns what the client holds of its session: its token, or the value
// of its session cookie.
func (c *client) id() string {
	if c.tokens.request != "" {
		return c.token
	}
	return c.cookie(session.DefaultKey)
}

// withID returns a new client that holds value as its session: as its
// token, or as its only cookie.
func (c *client) withID(value string) *client {
	c.t.Helper()
	if c.tokens.request == "" {
		return c.withCookie(session.DefaultKey, value)
	}
	other := *c
	other.token, other.holds = value, true
	return &other
}

// withCookie returns a new client whose only cookie is name=value.
func (c *client) withCookie(name, value string) *client {
	c.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(c.t, err)
	u, err := url.Parse(c.base)
	require.NoError(c.t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
	return &client{t: c.t, base: c.base, http: &http.Client{Jar: jar, CheckRedirect: c.http.CheckRedirect}, tokens: c.tokens}
}

// trimmed is s without surrounding white space, for comparing bodies.
func trimmed(s string) string { return strings.TrimSpace(s) }

// exchange is one request and its response, as roundTrip saw them.
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

// newRequest returns a request for path with body (nil: none) that carries
// the given cookies.
func newRequest(t *testing.T, method, path string, body io.Reader, cookies ...*http.Cookie) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "http://placeholder"+path, body)
	require.NoError(t, err)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	return req
}
