package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

// app is the example served over HTTP, with a browser-like client.
type app struct {
	t      *testing.T
	srv    *httptest.Server
	m      *session.Manager
	jar    *cookiejar.Jar
	client *http.Client // follows redirects and keeps cookies, like a browser
	logs   *testkit.Buffer
}

// newApp serves the example with the same options and event handler as main,
// sessions in memory, capturing every log line so that tests can check what
// they hold.
func newApp(t *testing.T) *app {
	t.Helper()
	return startApp(t, nil, captureLogs(t))
}

// captureLogs sends every log line, at debug level, to the returned buffer
// until the test ends.
func captureLogs(t *testing.T) *testkit.Buffer {
	t.Helper()
	logs := &testkit.Buffer{}
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(previous) })
	return logs
}

// startApp serves the example as main builds it, over st (nil: in memory),
// with its own browser-like client. logs is where the log lines go.
func startApp(t *testing.T, st store.Store, logs *testkit.Buffer) *app {
	t.Helper()
	gin.SetMode(gin.TestMode)
	m := session.NewManager(options(st), nil, logEvent)
	srv := httptest.NewServer(newRouter(m))
	// Cleanups run last-in first-out: the server stops (waiting for its
	// requests) before the manager closes.
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	t.Cleanup(srv.Close)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &app{t: t, srv: srv, m: m, jar: jar, client: &http.Client{Jar: jar}, logs: logs}
}

// cookie returns the raw session cookie the client holds, or "".
func (a *app) cookie() string {
	u, err := url.Parse(a.srv.URL)
	require.NoError(a.t, err)
	for _, c := range a.jar.Cookies(u) {
		if c.Name == session.DefaultKey {
			return c.Value
		}
	}
	return ""
}

// post submits a form as the browser-like client and returns the final
// page after redirects.
func (a *app) post(path string, form url.Values) (*http.Response, string) {
	a.t.Helper()
	resp, err := a.client.PostForm(a.srv.URL+path, form)
	require.NoError(a.t, err)
	return resp, readBody(a.t, resp)
}

// login logs in as user and checks that it landed on the private page.
func (a *app) login(user string) string {
	a.t.Helper()
	resp, body := a.post("/login", url.Values{"user": {user}})
	require.Equal(a.t, http.StatusOK, resp.StatusCode, body)
	require.Equal(a.t, "/private", resp.Request.URL.Path)
	return body
}

// getWithCookie requests path carrying only the given session cookie, without
// following redirects: how a stolen or stale cookie would be replayed.
func (a *app) getWithCookie(path, value string) *http.Response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.srv.URL+path, nil)
	require.NoError(a.t, err)
	req.AddCookie(&http.Cookie{Name: session.DefaultKey, Value: value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	require.NoError(a.t, err)
	readBody(a.t, resp)
	return resp
}

// assertDead checks that a session cookie no longer opens the private page.
func (a *app) assertDead(value string) {
	a.t.Helper()
	resp := a.getWithCookie("/private", value)
	assert.Equal(a.t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(a.t, "/", resp.Header.Get("Location"))
}

// assertLogsHoldNoID checks that no log line holds a raw session ID.
func (a *app) assertLogsHoldNoID(ids ...string) {
	a.t.Helper()
	a.srv.Close() // wait for the requests' log lines
	logs := a.logs.String()
	for _, id := range ids {
		require.NotEmpty(a.t, id)
		assert.NotContains(a.t, logs, id, "a log line holds a raw session ID")
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestLoginShowsUserAndMaskedID(t *testing.T) {
	a := newApp(t)
	body := a.login("  alice  ")

	raw := a.cookie()
	require.NotEmpty(t, raw, "login must set the session cookie")
	s := a.m.GetSessionById(raw)
	require.NotNil(t, s)
	assert.Contains(t, body, "<strong>alice</strong>", "the name is shown trimmed")
	assert.Contains(t, body, s.GetMaskedSessionId())
	assert.NotContains(t, body, raw, "the page must never show the real session ID")
	assert.Contains(t, body, "Live sessions: 1")

	// Logged in, the home page leads to the private page.
	resp, err := a.client.Get(a.srv.URL + "/")
	require.NoError(t, err)
	readBody(t, resp)
	assert.Equal(t, "/private", resp.Request.URL.Path)

	a.assertLogsHoldNoID(raw)
	assert.Contains(t, a.logs.String(), "session created")
}

func TestLoginEscapesUserName(t *testing.T) {
	a := newApp(t)
	body := a.login(`<script>alert(1)</script>`)
	assert.NotContains(t, body, "<script>alert")
	assert.Contains(t, body, "&lt;script&gt;")
}

func TestLoginWithSessionRenewsID(t *testing.T) {
	a := newApp(t)
	a.login("alice")
	before := a.cookie()

	a.login("bob")
	after := a.cookie()
	assert.NotEqual(t, before, after, "logging in must give a new session ID")
	a.assertDead(before)
	assert.Equal(t, 1, a.m.GetSessionSize(), "renewal must not leave the old session behind")
}

func TestRenewChangesCookieAndKillsOldOne(t *testing.T) {
	a := newApp(t)
	a.login("alice")
	before := a.cookie()
	masked := a.m.GetSessionById(before).GetMaskedSessionId()

	resp, body := a.post("/renew", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/private", resp.Request.URL.Path)
	assert.Contains(t, body, "<strong>alice</strong>", "renewal keeps the session's data")

	after := a.cookie()
	require.NotEmpty(t, after)
	assert.NotEqual(t, before, after)
	assert.NotContains(t, body, masked, "the page shows the new masked ID")
	assert.NotContains(t, body, after)
	a.assertDead(before)
	assert.Equal(t, http.StatusOK, a.getWithCookie("/private", after).StatusCode)

	a.assertLogsHoldNoID(before, after)
}

func TestRenewWithoutSessionGoesHome(t *testing.T) {
	a := newApp(t)
	resp, body := a.post("/renew", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/", resp.Request.URL.Path)
	assert.Contains(t, body, `action="/login"`)
	assert.Empty(t, a.cookie(), "no session is made for a visitor who did not log in")
}

func TestLogoutDestroysSession(t *testing.T) {
	a := newApp(t)
	a.login("alice")
	before := a.cookie()

	resp, body := a.post("/logout", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/", resp.Request.URL.Path)
	assert.Contains(t, body, `action="/login"`)
	assert.Empty(t, a.cookie(), "logout must expire the cookie")
	assert.Equal(t, 0, a.m.GetSessionSize())
	a.assertDead(before)

	a.assertLogsHoldNoID(before)
	assert.Contains(t, a.logs.String(), "session destroyed")
}

func TestPrivateNeedsLogin(t *testing.T) {
	a := newApp(t)
	resp := a.getWithCookie("/private", strings.Repeat("A", 43))
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/", resp.Header.Get("Location"))
}

func TestBadUserName(t *testing.T) {
	for name, user := range map[string]string{
		"empty":    "",
		"blank":    "   \t ",
		"too long": strings.Repeat("x", maxUserName+1),
		"control":  "ali\x00ce",
	} {
		t.Run(name, func(t *testing.T) {
			a := newApp(t)
			resp, body := a.post("/login", url.Values{"user": {user}})
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, "/login", resp.Request.URL.Path, "no redirect on bad input")
			assert.Contains(t, body, `class="problem"`)
			assert.Empty(t, a.cookie(), "a refused login makes no session")
			assert.Equal(t, 0, a.m.GetSessionSize())
		})
	}
}

func TestLongestUserNameIsAccepted(t *testing.T) {
	a := newApp(t)
	name := strings.Repeat("é", maxUserName) // counted in characters, not bytes
	assert.Contains(t, a.login(name), name)
}
