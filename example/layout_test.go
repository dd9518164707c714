package main

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// regexpTitle finds a page's title.
var regexpTitle = regexp.MustCompile(`<title>[^<]+</title>`)

func TestEveryPageHasTitleViewportAndIcon(t *testing.T) {
	a := newSite(t)
	_, login := a.get("/")
	a.login("alice")
	pages := map[string]string{"/": login}
	for _, path := range []string{"/private", "/sessions", "/events", "/instance", "/missing"} {
		_, pages[path] = a.get(path)
	}
	titles := map[string]bool{}
	for path, body := range pages {
		assert.Contains(t, body, `<meta name="viewport" content="width=device-width, initial-scale=1">`, path)
		assert.Contains(t, body, `<link rel="icon" href="/favicon.svg" type="image/svg+xml">`, path)
		assert.Regexp(t, `<title>[^<]+ · sessionkit example</title>`, body, path)
		titles[regexpTitle.FindString(body)] = true
	}
	assert.Len(t, titles, len(pages), "each page has its own title")
}

func TestStaticFilesNeedNoSession(t *testing.T) {
	a := newSite(t)
	for path, contentType := range map[string]string{
		"/favicon.svg":      "image/svg+xml",
		"/static/style.css": "text/css; charset=utf-8",
		"/static/feed.js":   "text/javascript; charset=utf-8",
	} {
		resp, body := a.get(path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, contentType, resp.Header.Get("Content-Type"), path)
		assert.NotEmpty(t, body, path)
		assert.Empty(t, resp.Header.Values("Set-Cookie"), path)
	}
	assert.Zero(t, a.m.GetSessionSize())
}

func TestSecurityHeaders(t *testing.T) {
	a := newSite(t)
	for _, path := range []string{"/", "/static/style.css", "/missing"} {
		resp, _ := a.get(path)
		assert.Equal(t, contentSecurityPolicy, resp.Header.Get("Content-Security-Policy"), path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "same-origin", resp.Header.Get("Referrer-Policy"), path)
	}
	assert.NotContains(t, contentSecurityPolicy, "unsafe-inline")
}

func TestLoggedInPagesAreNeverCached(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	for _, path := range []string{"/private", "/sessions", "/events", "/instance"} {
		resp, _ := a.get(path)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), path)
	}
	resp, _ := a.post("/logout", url.Values{})
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "the login form either")
}

func TestInstancePageCountsThisInstancesWork(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	a.post("/renew", nil)
	other := a.device()
	other.login("alice")
	a.post("/sessions/others", nil)

	resp, body := a.get("/instance")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "<title>This instance · sessionkit example</title>")
	assert.Contains(t, body, "<dt>Sessions created</dt><dd>2</dd>", "two logins from nothing")
	assert.Contains(t, body, "<dt>Sessions renewed</dt><dd>1</dd>")
	assert.Contains(t, body, "<dt>Logout</dt><dd>1</dd>", "log out everywhere else ended one")
	assert.Contains(t, body, "<dt>Failed store calls</dt><dd>0</dd>")
	assert.Contains(t, body, "<dt>Mean store call</dt><dd>not timed</dd>")

	a.post("/logout", nil)
	resp, _ = a.get("/instance")
	assert.Equal(t, "/", resp.Request.URL.Path, "the counters are for logged-in users")
}
