package main

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// device is a second browser of the same site: its own cookie jar.
func (a *site) device() *site {
	a.t.Helper()
	other := *a
	other.jar, other.client = newJar(a.t)
	return &other
}

// maskedOf returns the masked ID of the session the client holds.
func (a *site) maskedOf() string {
	a.t.Helper()
	s := a.m.GetSessionById(a.cookie())
	require.NotNil(a.t, s, "the client holds no live session")
	return s.GetMaskedSessionId()
}

// listed returns the masked IDs that the sessions page lists, in order.
func listed(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<li>\s*<div>\s*<code>([^<]+)</code>`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestSessionsPageListsEveryDeviceAndMarksThisOne(t *testing.T) {
	laptop := newSite(t)
	laptop.login("alice")
	phone := laptop.device()
	phone.login("alice")
	someoneElse := laptop.device()
	someoneElse.login("bob")

	resp, body := phone.get("/sessions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "<title>Your sessions · sessionkit example</title>")
	assert.Equal(t, []string{laptop.maskedOf(), phone.maskedOf()}, listed(body), "alice's sessions, oldest first, and not bob's")
	assert.Regexp(t, regexp.MustCompile(phone.maskedOf()+`</code> <span class="badge">this device</span>`), body)
	assert.NotContains(t, body, laptop.maskedOf()+`</code> <span class="badge">`, "only the session of the request is this device")
	assert.NotContains(t, body, phone.cookie(), "the page never shows a real session ID")
	assert.Contains(t, body, `id="others"`, "another session is there to log out")

	resp, body = someoneElse.get("/sessions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{someoneElse.maskedOf()}, listed(body))
	assert.NotContains(t, body, `id="others"`, "nothing else to log out")
}

func TestSessionsPageNeedsLogin(t *testing.T) {
	a := newSite(t)
	resp, _ := a.get("/sessions")
	assert.Equal(t, "/", resp.Request.URL.Path)
	for _, path := range []string{"/sessions/end", "/sessions/others"} {
		resp, _ = a.post(path, url.Values{"session": {"AAAAAAAAAAAA"}})
		assert.Equal(t, "/", resp.Request.URL.Path, path)
	}
}

func TestLogOutOneSession(t *testing.T) {
	laptop := newSite(t)
	laptop.login("alice")
	phone := laptop.device()
	phone.login("alice")
	stolen := laptop.cookie()

	resp, body := phone.post("/sessions/end", url.Values{"session": {laptop.maskedOf()}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/sessions", resp.Request.URL.Path)
	assert.Contains(t, body, "1 session was logged out.")
	assert.Equal(t, []string{phone.maskedOf()}, listed(body))
	laptop.assertDead(stolen)

	// The same button again, from a page that is now stale.
	masked := phone.m.GetSessionById(phone.cookie()).GetMaskedSessionId()
	resp, body = phone.post("/sessions/end", url.Values{"session": {"AAAAAAAAAAAA"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "No session was logged out")
	assert.Equal(t, []string{masked}, listed(body))
}

func TestLogOutSessionOfAnotherUserIsRefused(t *testing.T) {
	alice := newSite(t)
	alice.login("alice")
	bob := alice.device()
	bob.login("bob")

	resp, body := alice.post("/sessions/end", url.Values{"session": {bob.maskedOf()}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "No session was logged out")
	resp, _ = bob.get("/private")
	assert.Equal(t, "/private", resp.Request.URL.Path, "bob is still logged in")
}

func TestLogOutThisSessionFromStaleList(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	before := a.cookie()
	resp, _ := a.post("/sessions/end", url.Values{"session": {a.maskedOf()}})
	assert.Equal(t, "/", resp.Request.URL.Path)
	assert.Empty(t, a.cookie(), "ending this session is a logout: the cookie goes too")
	a.assertDead(before)
}

func TestLogOutEverywhereElse(t *testing.T) {
	here := newSite(t)
	here.login("alice")
	var elsewhere []string
	for range 3 {
		d := here.device()
		d.login("alice")
		elsewhere = append(elsewhere, d.cookie())
	}
	bob := here.device()
	bob.login("bob")

	resp, body := here.post("/sessions/others", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/sessions", resp.Request.URL.Path)
	assert.Contains(t, body, "3 sessions were logged out.")
	assert.Equal(t, []string{here.maskedOf()}, listed(body))
	for _, id := range elsewhere {
		here.assertDead(id)
	}
	resp, _ = bob.get("/private")
	assert.Equal(t, "/private", resp.Request.URL.Path, "another user's sessions are left alone")
	resp, _ = here.get("/private")
	assert.Equal(t, "/private", resp.Request.URL.Path, "this session stays logged in")
}

func TestEndedNotice(t *testing.T) {
	for query, want := range map[string]string{
		"": "", "x": "", "-1": "", "0": "No session was logged out: it had already ended.",
		"1": "1 session was logged out.", "12": "12 sessions were logged out.",
	} {
		assert.Equal(t, want, endedNotice(query), query)
	}
}
