package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session"
)

// loginCookie logs in with the form values and returns the session cookie
// that the login's response set, read before any redirect.
func (a *site) loginCookie(form url.Values) *http.Cookie {
	a.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(a.srv.URL+"/login", form)
	require.NoError(a.t, err)
	readBody(a.t, resp)
	require.Equal(a.t, http.StatusSeeOther, resp.StatusCode)
	var last *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == session.DefaultKey {
			last = ck // SetLifetime sends the cookie again: the last one counts
		}
	}
	require.NotNil(a.t, last, "the login set no session cookie")
	return last
}

func TestKeepMeLoggedIn(t *testing.T) {
	a := newSite(t)
	plain := a.loginCookie(url.Values{"user": {"alice"}})
	assert.Equal(t, 8*3600, plain.MaxAge, "a plain login lasts 8 hours")

	kept := a.loginCookie(url.Values{"user": {"alice"}, "remember": {"on"}})
	assert.InDelta(t, rememberFor.Seconds(), kept.MaxAge, 5, "Keep me logged in: 30 days")
	assert.True(t, kept.HttpOnly)

	req, err := http.NewRequest(http.MethodGet, a.srv.URL+"/private", nil)
	require.NoError(t, err)
	req.AddCookie(kept)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := readBody(t, resp)
	assert.Contains(t, body, "up to 30 days (Keep me logged in)")
}

func TestKeepMeLoggedInStaysTickedAfterAMistake(t *testing.T) {
	a := newSite(t)
	_, body := a.post("/login", url.Values{"user": {""}, "remember": {"on"}})
	assert.Contains(t, body, `name="remember" checked`)
}

func TestRememberForIsTheManagersLongestLifetime(t *testing.T) {
	a := newApp(config{})
	t.Cleanup(func() { require.NoError(t, a.m.Close()) })
	opts := a.options(config{})
	assert.Equal(t, int(rememberFor/time.Second), opts.MaxLifetime)
	assert.Greater(t, opts.MaxInactiveInterval, int64(24*3600), "an idle timeout under a day would make Keep me logged in keep nobody")
}
