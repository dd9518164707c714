package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session"
)

// stream is an open /events/stream, read line by line in the background.
type stream struct {
	resp   *http.Response
	cancel context.CancelFunc
	lines  chan string // closed when the stream ends
}

// openStream opens the feed as the client a, which must be logged in.
func (a *site) openStream() *stream {
	a.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+"/events/stream", nil)
	require.NoError(a.t, err)
	resp, err := a.client.Do(req)
	require.NoError(a.t, err)
	require.Equal(a.t, http.StatusOK, resp.StatusCode)
	s := &stream{resp: resp, cancel: cancel, lines: make(chan string, 1000)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	a.t.Cleanup(func() { cancel(); resp.Body.Close() })
	return s
}

// next returns the next line, failing the test when none comes in time:
// the stream must flush each event, not hold it in a buffer.
func (s *stream) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		require.True(t, ok, "the stream ended")
		return line
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no line from the stream in 5 s")
	}
	return ""
}

// nextEvent returns the next session event on the stream.
func (s *stream) nextEvent(t *testing.T) feedEvent {
	t.Helper()
	for {
		line := s.next(t)
		if data, ok := strings.CutPrefix(line, "data: "); ok && data != "{}" {
			var ev feedEvent
			require.NoError(t, json.Unmarshal([]byte(data), &ev))
			return ev
		}
	}
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, what)
}

func TestFeedStreamsThisInstancesEvents(t *testing.T) {
	watcher := newSite(t)
	watcher.login("alice")
	watcherMasked := watcher.maskedOf()
	s := watcher.openStream()
	assert.Equal(t, "text/event-stream", s.resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", s.resp.Header.Get("Cache-Control"))
	assert.Equal(t, "retry: 5000", s.next(t), "the first bytes arrive before any event: the stream is flushed")

	// The recent events come first: the watcher's own login.
	ev := s.nextEvent(t)
	assert.Equal(t, feedEvent{Time: ev.Time, Event: "Created", Session: watcherMasked}, ev)

	other := watcher.device()
	other.login("bob")
	bobsID := other.cookie()
	bobsMasked := other.maskedOf()
	ev = s.nextEvent(t)
	assert.Equal(t, "Created", ev.Event)
	assert.Equal(t, bobsMasked, ev.Session)
	_, err := time.Parse(time.TimeOnly, ev.Time)
	assert.NoError(t, err)

	other.post("/logout", nil)
	ev = s.nextEvent(t)
	assert.Equal(t, feedEvent{Time: ev.Time, Event: "Destroyed", Session: bobsMasked}, ev)

	s.cancel()
	for line := range s.lines {
		assert.NotContains(t, line, bobsID, "the feed never carries a raw session ID")
		assert.NotContains(t, line, "bob", "nor a user name")
	}
}

func TestFeedSendsKeepAlives(t *testing.T) {
	a := newSite(t)
	a.app.feed.heartbeat = 10 * time.Millisecond
	a.login("alice")
	s := a.openStream()
	for s.next(t) != ": keep-alive" {
	}
}

func TestFeedNeedsLogin(t *testing.T) {
	a := newSite(t)
	resp, err := a.client.Get(a.srv.URL + "/events/stream")
	require.NoError(t, err)
	readBody(t, resp)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = a.get("/events")
	assert.Equal(t, "/", resp.Request.URL.Path)
}

func TestEventsPageSaysWhoseEventsItShows(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	resp, body := a.get("/events")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "<title>Live events · sessionkit example</title>")
	assert.Contains(t, body, "<strong>this instance (test-instance)</strong>")
	assert.Contains(t, body, `<script src="/static/feed.js"></script>`)
}

func TestFeedStreamEndsWhenClientGoesAway(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	for range 3 {
		s := a.openStream()
		s.next(t)
		s.cancel()
	}
	waitFor(t, func() bool { return a.app.feed.subscribers() == 0 }, "every stream's handler returned")
}

func TestFeedEndsOnShutdown(t *testing.T) {
	a := newSite(t)
	a.login("alice")
	s := a.openStream()
	s.next(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	require.NoError(t, a.srv.Config.Shutdown(ctx), "an open stream must not hold the shutdown up")
	for range s.lines {
	}
	assert.Zero(t, a.app.feed.subscribers())
}

func TestFeedPublishNeverWaitsForSlowReaders(t *testing.T) {
	f := newFeed()
	slow, _ := f.subscribe()
	require.NotNil(t, slow)
	s := session.NewSession(strings.Repeat("A", 43), 0)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for range feedBuffer * 3 {
			f.publish(s, session.Update, time.Now())
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "publish waited for a reader")
	}
	assert.Len(t, slow.events, feedBuffer, "the reader's queue is bounded")
	assert.True(t, f.takeMissed(slow), "the reader is told it missed events")
	assert.False(t, f.takeMissed(slow), "once")

	late, recent := f.subscribe()
	require.NotNil(t, late)
	assert.Len(t, recent, feedHistory, "a new reader gets a bounded history")
}

func TestFeedRefusesReadersPastItsLimit(t *testing.T) {
	f := newFeed()
	for range feedSubscribers {
		sub, _ := f.subscribe()
		require.NotNil(t, sub)
	}
	sub, _ := f.subscribe()
	assert.Nil(t, sub)
	f.close()
	f.close() // safe twice
	assert.Zero(t, f.subscribers())
	sub, _ = f.subscribe()
	assert.Nil(t, sub, "no reader after close")
}
