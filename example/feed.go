package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session"
)

// The feed's bounds. The manager calls the event handler on the request's
// goroutine, so publishing must never wait for a reader: a subscriber whose
// buffer is full misses events (and is told so) rather than slowing every
// login down.
const (
	feedHistory     = 20 // recent events a new subscriber is shown first
	feedBuffer      = 64 // events queued for one subscriber before it misses some
	feedSubscribers = 100
	// feedHeartbeat is how often an idle stream sends a comment, so that
	// proxies keep the connection open and a client that vanished without
	// closing it is noticed by the failed write.
	feedHeartbeat = 25 * time.Second
)

// feedEvent is one session event as the page shows it. It names the session
// by its masked ID only, like the log: the real ID is a credential, and the
// user name is not shown either, since the feed shows everyone's sessions.
type feedEvent struct {
	Time    string `json:"time"`
	Event   string `json:"event"`
	Session string `json:"session"`
}

// feed fans this instance's session events out to the browsers watching
// them over server-sent events. It only sees the events its own manager
// fires: with several instances over one Redis, each feed shows the
// sessions its instance created, changed or ended.
type feed struct {
	heartbeat time.Duration

	mu     sync.Mutex
	recent []feedEvent // oldest first, at most feedHistory
	subs   map[*subscriber]struct{}
	closed bool
}

// subscriber is one open stream.
type subscriber struct {
	events chan feedEvent
	missed bool // set under feed.mu when an event did not fit
	done   chan struct{}
}

func newFeed() *feed {
	return &feed{heartbeat: feedHeartbeat, subs: make(map[*subscriber]struct{})}
}

// publish records the event of s and hands it to every subscriber that has
// room. It never blocks.
func (f *feed) publish(s session.Session, event int, at time.Time) {
	ev := feedEvent{Time: at.Format(time.TimeOnly), Event: eventName(event), Session: s.GetMaskedSessionId()}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.recent) == feedHistory {
		copy(f.recent, f.recent[1:])
		f.recent = f.recent[:feedHistory-1]
	}
	f.recent = append(f.recent, ev)
	for sub := range f.subs {
		select {
		case sub.events <- ev:
		default:
			sub.missed = true
		}
	}
}

// subscribe registers a stream and returns it with the recent events, or
// nil when the feed is closed or full.
func (f *feed) subscribe() (*subscriber, []feedEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || len(f.subs) >= feedSubscribers {
		return nil, nil
	}
	sub := &subscriber{events: make(chan feedEvent, feedBuffer), done: make(chan struct{})}
	f.subs[sub] = struct{}{}
	return sub, append([]feedEvent(nil), f.recent...)
}

// unsubscribe forgets sub; safe after close.
func (f *feed) unsubscribe(sub *subscriber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, sub)
}

// takeMissed reports, once, that sub missed events.
func (f *feed) takeMissed(sub *subscriber) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	missed := sub.missed
	sub.missed = false
	return missed
}

// close ends every open stream: http.Server.Shutdown waits for requests to
// finish, and a stream would otherwise never finish. It is registered with
// RegisterOnShutdown.
func (f *feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	for sub := range f.subs {
		close(sub.done)
	}
	f.subs = nil
}

// subscribers returns how many streams are open.
func (f *feed) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// serve streams the feed to one client until it goes away or the server
// shuts down. Each write is flushed: the session middleware commits before
// the first byte and passes Flush on, so the events leave at once rather
// than when a buffer fills.
func (f *feed) serve(c *gin.Context) {
	sub, recent := f.subscribe()
	if sub == nil {
		c.Header("Retry-After", "30")
		c.String(http.StatusServiceUnavailable, "too many open feeds, or shutting down")
		return
	}
	defer f.unsubscribe(sub)

	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold the stream back
	c.Status(http.StatusOK)
	// Tell the client to wait before reconnecting after the server closed
	// the stream (a shutdown), and send what happened recently.
	if !f.write(c, "retry: 5000\n\n") {
		return
	}
	for _, ev := range recent {
		if !f.send(c, ev) {
			return
		}
	}

	tick := time.NewTicker(f.heartbeat)
	defer tick.Stop()
	for {
		select {
		case ev := <-sub.events:
			if f.takeMissed(sub) && !f.write(c, "event: missed\ndata: {}\n\n") {
				return
			}
			if !f.send(c, ev) {
				return
			}
		case <-tick.C:
			if !f.write(c, ": keep-alive\n\n") {
				return
			}
		case <-c.Request.Context().Done():
			return // the client went away
		case <-sub.done:
			return // the server is shutting down
		}
	}
}

// send writes one event as a server-sent event.
func (f *feed) send(c *gin.Context, ev feedEvent) bool {
	data, err := json.Marshal(ev)
	if err != nil {
		slog.Error("encoding a feed event failed", "err", err)
		return false
	}
	return f.write(c, fmt.Sprintf("event: session\ndata: %s\n\n", data))
}

// write writes s and flushes it; false means the client is gone.
func (f *feed) write(c *gin.Context, s string) bool {
	if _, err := c.Writer.WriteString(s); err != nil {
		return false
	}
	c.Writer.Flush()
	return true
}

// eventName is how the page and the log name a session event.
func eventName(event int) string {
	switch event {
	case session.Created:
		return "Created"
	case session.Update:
		return "Update"
	case session.Destroyed:
		return "Destroyed"
	}
	return fmt.Sprintf("event %d", event)
}
