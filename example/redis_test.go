package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store/redisstore"
)

// TestMain stops the Redis server that redistest.Client may start.
func TestMain(m *testing.M) { redistest.Main(m) }

// startInstances starts two instances of the example over one Redis, as
// `go run ./example -redis ...` on two ports would: each has its own client,
// store and manager, and they share a key prefix. One browser uses both, as
// a browser sends its localhost cookie to every port.
func startInstances(t *testing.T) (first, second *site) {
	t.Helper()
	prefix := redistest.Prefix()
	logs := captureLogs(t)
	first = startSite(t, config{store: redisstore.New(redistest.Client(t), redisstore.WithPrefix(prefix)), instance: "first"}, logs)
	second = startSite(t, config{store: redisstore.New(redistest.Client(t), redisstore.WithPrefix(prefix)), instance: "second"}, logs)
	second.jar, second.client = first.jar, first.client
	return first, second
}

func TestTwoInstancesShareSessionsThroughRedis(t *testing.T) {
	first, second := startInstances(t)

	first.login("alice")
	loggedIn := first.cookie()
	require.NotEmpty(t, loggedIn)
	require.Equal(t, loggedIn, second.cookie(), "the browser sends the cookie to both instances")
	masked := first.m.GetSessionById(loggedIn).GetMaskedSessionId()

	resp, body := second.get("/private")
	require.Equal(t, "/private", resp.Request.URL.Path, "the other instance sees the login")
	assert.Contains(t, body, shownUser("alice"))
	assert.Contains(t, body, masked, "the same session")
	assert.Contains(t, body, shownLive("1"), "the count is shared")
	assert.Equal(t, 1, first.m.GetSessionSize())
	assert.Contains(t, body, `Answered by instance <strong id="instance">second</strong>`, "the page names the instance that answered")

	// A session logged in through the other instance is listed, and can be
	// logged out, from this one.
	phone := first.device()
	phone.login("alice")
	resp, body = second.get("/sessions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{masked, phone.maskedOf()}, listed(body))
	resp, body = second.post("/sessions/end", url.Values{"session": {phone.maskedOf()}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "1 session was logged out.")
	assert.Equal(t, []string{masked}, listed(body))

	// Renewal on one instance kills the old ID on both.
	resp, body = second.post("/renew", nil)
	require.Equal(t, "/private", resp.Request.URL.Path)
	assert.Contains(t, body, shownUser("alice"))
	renewed := second.cookie()
	require.NotEqual(t, loggedIn, renewed)
	first.assertDead(loggedIn)
	second.assertDead(loggedIn)
	assert.Equal(t, http.StatusOK, first.getWithCookie("/private", renewed).StatusCode)

	// Logout on one instance ends the session on both.
	resp, _ = first.post("/logout", nil)
	require.Equal(t, "/", resp.Request.URL.Path)
	assert.Empty(t, first.cookie(), "logout expires the cookie")
	second.assertDead(renewed)
	first.assertDead(renewed)
	resp, body = second.get("/")
	assert.Equal(t, "/", resp.Request.URL.Path)
	assert.Contains(t, body, shownLive("0"))
	assert.Zero(t, second.m.GetSessionSize())

	first.assertLogsHoldNoID(loggedIn, renewed)
	second.assertLogsHoldNoID(loggedIn, renewed)
	logs := first.logs.String()
	assert.Equal(t, 2, strings.Count(logs, "session created"), "Created fires on the instance that made the session (two logins)")
	assert.Equal(t, 2, strings.Count(logs, "session destroyed"), "Destroyed fires once per session (the phone and the logout), not once per instance")
}

func TestOpenRedis(t *testing.T) {
	live := "redis://" + redistest.Client(t).Options().Addr + "/0"

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	silent := ln.Addr().String() // nothing listens there once ln is closed
	require.NoError(t, ln.Close())
	lockedServer := redistest.Start(t)
	require.NoError(t, lockedServer.NewClient(t).ConfigSet(context.Background(), "requirepass", "right").Err())
	locked := lockedServer.Addr

	tests := []struct {
		name, url string
		problem   string // "" when the URL must work
	}{
		{"answers", live, ""},
		{"nothing listening", "redis://:secret@" + silent + "/0", "does not answer"},
		// A Redis that answers with an error is running: the message says
		// what it said, not that it is missing.
		{"wrong password", "redis://:secret@" + locked + "/0", "refused the connection: WRONGPASS"},
		{"no password", "redis://" + locked + "/0", "refused the connection: NOAUTH"},
		{"database out of range", live[:len(live)-1] + "99", "refused the connection: ERR DB index is out of range"},
		{"bad port", "redis://:secret@127.0.0.1:port/0", "not a Redis URL"},
		{"bad scheme", "http://:secret@127.0.0.1:6379/0", "not a Redis URL"},
		{"bad database", "redis://:secret@127.0.0.1:6379/zero", "not a Redis URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := openRedis(tt.url)
			if tt.problem == "" {
				require.NoError(t, err)
				require.NoError(t, client.Close())
				return
			}
			require.Error(t, err)
			assert.Nil(t, client)
			assert.Contains(t, err.Error(), tt.problem)
			assert.NotContains(t, err.Error(), "secret", "an error must not quote the password")
		})
	}
}
