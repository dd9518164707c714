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
)

// site is the example served over HTTP, with a browser-like client.
type site struct {
	t      *testing.T
	srv    *httptest.Server
	app    *app
	m      *session.Manager
	jar    *cookiejar.Jar
	client *http.Client // follows redirects and keeps cookies, like a browser
	logs   *testkit.Buffer
}

// newSite serves the example with the same options and event handler as
// main, sessions in memory, capturing every log line so that tests can
// check what they hold.
func newSite(t *testing.T) *site {
	t.Helper()
	return startSite(t, config{instance: "test-instance"}, captureLogs(t))
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

// startSite serves the example as main builds it from cfg, with its own
// browser-like client. logs is where the log lines go. The cookie is sent
// without Secure, as main does on the loopback address httptest listens on.
func startSite(t *testing.T, cfg config, logs *testkit.Buffer) *site {
	t.Helper()
	gin.SetMode(gin.TestMode)
	a := newApp(cfg)
	srv := httptest.NewUnstartedServer(newRouter(a))
	srv.Config.RegisterOnShutdown(a.feed.close)
	srv.Start()
	// Cleanups run last-in first-out: the feeds end, then the server stops
	// (waiting for its requests) before the manager closes.
	t.Cleanup(func() { require.NoError(t, a.m.Close()) })
	t.Cleanup(srv.Close)
	t.Cleanup(a.feed.close)

	s := &site{t: t, srv: srv, app: a, m: a.m, logs: logs}
	s.jar, s.client = newJar(t)
	return s
}

// newJar returns an empty cookie jar and a client that uses it.
func newJar(t *testing.T) (*cookiejar.Jar, *http.Client) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return jar, &http.Client{Jar: jar}
}

// cookie returns the raw session cookie the client holds, or "".
func (a *site) cookie() string {
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
func (a *site) post(path string, form url.Values) (*http.Response, string) {
	a.t.Helper()
	resp, err := a.client.PostForm(a.srv.URL+path, form)
	require.NoError(a.t, err)
	return resp, readBody(a.t, resp)
}

// get fetches path as the browser-like client and returns the final page
// after redirects.
func (a *site) get(path string) (*http.Response, string) {
	a.t.Helper()
	resp, err := a.client.Get(a.srv.URL + path)
	require.NoError(a.t, err)
	return resp, readBody(a.t, resp)
}

// login logs in as user and checks that it landed on the private page.
func (a *site) login(user string) string {
	a.t.Helper()
	resp, body := a.post("/login", url.Values{"user": {user}})
	require.Equal(a.t, http.StatusOK, resp.StatusCode, body)
	require.Equal(a.t, "/private", resp.Request.URL.Path)
	return body
}

// getWithCookie requests path carrying only the given session cookie, without
// following redirects: how a stolen or stale cookie would be replayed.
func (a *site) getWithCookie(path, value string) *http.Response {
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
func (a *site) assertDead(value string) {
	a.t.Helper()
	resp := a.getWithCookie("/private", value)
	assert.Equal(a.t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(a.t, "/", resp.Header.Get("Location"))
}

// assertLogsHoldNoID checks that no log line holds a raw session ID.
func (a *site) assertLogsHoldNoID(ids ...string) {
	a.t.Helper()
	a.srv.Close() // wait for the requests' log lines
	logs := a.logs.String()
	for _, id := range ids {
		require.NotEmpty(a.t, id)
		assert.NotContains(a.t, logs, id, "a log line holds a raw session ID")
	}
}

// shownUser is how a page shows the logged-in user.
func shownUser(name string) string { return `<span id="who">` + name + `</span>` }

// shownLive is how a page shows the live-session count.
func shownLive(count string) string { return `Live sessions: <span id="live">` + count + `</span>` }

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestLoginShowsUserAndMaskedID(t *testing.T) {
	a := newSite(t)
	body := a.login("  alice  ")

	raw := a.cookie()
	require.NotEmpty(t, raw, "login must set the session cookie")
	s := a.m.GetSessionById(raw)
	require.NotNil(t, s)
	assert.Contains(t, body, shownUser("alice"), "the name is shown trimmed")
	assert.Contains(t, body, s.GetMaskedSessionId())
	assert.NotContains(t, body, raw, "the page must never show the real session ID")
	assert.Contains(t, body, shownLive("1"))

	// Logged in, the home page leads to the private page.
	resp, err := a.client.Get(a.srv.URL + "/")
	require.NoError(t, err)
	readBody(t, resp)
	assert.Equal(t, "/private", resp.Request.URL.Path)

	a.assertLogsHoldNoID(raw)
	assert.Contains(t, a.logs.String(), "session created")
}

func TestLoginEscapesUserName(t *testing.T) {
	a := newSite(t)
	body := a.login(`<script>alert(1)</script>`)
	assert.NotContains(t, body, "<script>alert")
	assert.Contains(t, body, "&lt;script&gt;")
}

func TestLoginWithSessionRenewsID(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	before := a.cookie()

	a.login("bob")
	after := a.cookie()
	assert.NotEqual(t, before, after, "logging in must give a new session ID")
	a.assertDead(before)
	assert.Equal(t, 1, a.m.GetSessionSize(), "renewal must not leave the old session behind")
}

func TestRenewChangesCookieAndKillsOldOne(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	before := a.cookie()
	masked := a.m.GetSessionById(before).GetMaskedSessionId()

	resp, body := a.post("/renew", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/private", resp.Request.URL.Path)
	assert.Contains(t, body, shownUser("alice"), "renewal keeps the session's data")

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
	a := newSite(t)
	resp, body := a.post("/renew", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/", resp.Request.URL.Path)
	assert.Contains(t, body, `action="/login"`)
	assert.Empty(t, a.cookie(), "no session is made for a visitor who did not log in")
}

func TestLogoutDestroysSession(t *testing.T) {
	a := newSite(t)
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
	a := newSite(t)
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
			a := newSite(t)
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
	a := newSite(t)
	name := strings.Repeat("é", maxUserName) // counted in characters, not bytes
	assert.Contains(t, a.login(name), name)
}
