package session_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

func encodeID(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func maskedID(id string) string { return store.MaskedID(id) }

// stoppedGC is a closed channel: a manager given it as GcStopChan never
// sweeps by itself, so expiry can only be found by lookups or Sweep.
var stoppedGC = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// testOptions are the options every test manager starts from: a fake clock,
// the sweeper stopped, and IDs recorded for the log check in TestMain.
func testOptions(clock *testkit.Clock) session.Options {
	return session.Options{
		MaxInactiveInterval: 60,
		MaxAge:              600,
		GcStopChan:          stoppedGC,
		Clock:               clock.Now,
		Rand:                issued,
	}
}

// events counts session events by kind, as a session handler.
type events struct {
	mu     sync.Mutex
	counts map[int]int
	// byMask counts the Destroyed events of each session.
	destroyedByMask map[string]int
}

func newEvents() *events {
	return &events{counts: map[int]int{}, destroyedByMask: map[string]int{}}
}

func (e *events) handle(s session.Session, event int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts[event]++
	if event == session.Destroyed {
		e.destroyedByMask[s.GetMaskedSessionId()]++
	}
}

func (e *events) count(event int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[event]
}

// countingStore wraps a store, counts its loads, and fails on demand.
type countingStore struct {
	store.Store
	loads      atomic.Int64
	failLoad   atomic.Bool
	failUpdate atomic.Bool
}

var errInjected = errors.New("injected store failure: secret detail")

func newCountingStore() *countingStore { return &countingStore{Store: store.NewMemory()} }

func (s *countingStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	s.loads.Add(1)
	if s.failLoad.Load() {
		// A lookup fails as a store that cannot be reached does.
		return store.Record{}, false, fmt.Errorf("%w: %w", store.ErrUnavailable, errInjected)
	}
	return s.Store.Load(ctx, id, now, touch)
}

func (s *countingStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.failUpdate.Load() {
		return errInjected
	}
	return s.Store.Update(ctx, id, changes)
}

// client is a browser: an HTTP client with its own cookie jar.
type client struct {
	t    *testing.T
	base string
	http *http.Client
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

// do sends a request and returns the status and body.
func (c *client) do(method, path string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, nil)
	require.NoError(c.t, err)
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return res.StatusCode, string(body)
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

// withCookie returns a new client whose only cookie is name=value.
func (c *client) withCookie(name, value string) *client {
	c.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(c.t, err)
	u, err := url.Parse(c.base)
	require.NoError(c.t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
	return &client{t: c.t, base: c.base, http: &http.Client{Jar: jar, CheckRedirect: c.http.CheckRedirect}}
}

// trimmed is s without surrounding white space, for comparing bodies.
func trimmed(s string) string { return strings.TrimSpace(s) }

// discardLogger drops every line, for benchmarks.
var discardLogger = slog.New(slog.DiscardHandler)
