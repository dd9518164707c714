package manager_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// event is one call of the manager's event handler.
type event struct {
	id    string
	kind  int
	value any // the session's "k" value when the event fired
}

// eventLog records the events a manager fires.
type eventLog struct {
	mu     sync.Mutex
	events []event
}

func (l *eventLog) record(s manager.Session, kind int) {
	v, _ := s.Get("k")
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, event{id: s.GetId(), kind: kind, value: v})
}

// count returns how many events of kind fired for the session id.
func (l *eventLog) count(id string, kind int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.id == id && e.kind == kind {
			n++
		}
	}
	return n
}

// countKind returns how many events of kind fired for any session.
func (l *eventLog) countKind(kind int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.kind == kind {
			n++
		}
	}
	return n
}

// testEnv is a manager with a fake clock, a recorded event log and a
// captured log, whose sweeper does not run unless the test asks for it.
type testEnv struct {
	m      *manager.Manager
	clock  *testkit.Clock
	events *eventLog
	logs   *testkit.Buffer
}

// stoppedGC is a closed channel: a manager given it as GcStopChan never
// sweeps on its own.
func stoppedGC() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// newEnv returns a manager built from opts. Fields the test left empty get
// test values: the fake clock, a stopped sweeper and a captured debug log.
func newEnv(t *testing.T, opts manager.Options, creator func(*http.Request, http.ResponseWriter) (manager.Session, error)) *testEnv {
	t.Helper()
	env := &testEnv{clock: testkit.NewClock(), events: &eventLog{}, logs: &testkit.Buffer{}}
	if opts.Clock == nil {
		opts.Clock = env.clock.Now
	}
	if opts.GcStopChan == nil {
		opts.GcStopChan = stoppedGC()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	env.m = manager.NewManager(opts, creator, env.events.record)
	t.Cleanup(func() { require.NoError(t, env.m.Close()) })
	return env
}

// create makes a session outside any middleware and returns it with the
// cookie that the response set.
func (env *testEnv) create(t *testing.T) (manager.Session, *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	s, err := env.m.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	require.NoError(t, err)
	require.NotNil(t, s)
	ck := sessionCookie(t, rec, env.m.Options().CookieName)
	require.Equal(t, s.GetId(), ck.Value)
	return s, ck
}

// sessionCookie returns the cookie called name that rec's response set.
func sessionCookie(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	require.FailNowf(t, "no session cookie", "response set no cookie %q; Set-Cookie: %q", name, rec.Header().Values("Set-Cookie"))
	return nil
}

// requestWith returns a GET request that carries ck.
func requestWith(ck *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if ck != nil {
		r.AddCookie(ck)
	}
	return r
}

// validID returns a well-formed session ID made of b repeated.
func validID(b byte) string {
	return base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// faultyStore wraps a store, counts its loads and fails the operations
// the test names.
type faultyStore struct {
	store.Store
	loads     atomic.Int64
	loadErr   error
	updateErr error
	deleteErr error
}

func (s *faultyStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	if s.deleteErr != nil {
		return store.Record{}, false, s.deleteErr
	}
	return s.Store.Delete(ctx, id)
}

func (s *faultyStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	s.loads.Add(1)
	if s.loadErr != nil {
		return store.Record{}, false, s.loadErr
	}
	return s.Store.Load(ctx, id, now, touch)
}

func (s *faultyStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.updateErr != nil {
		return s.updateErr
	}
	return s.Store.Update(ctx, id, changes)
}

// errNoFuncs is what funcRefusingStore says of a func value.
var errNoFuncs = errors.New("test store: functions cannot be stored")

// funcRefusingStore is a memory store that, like a store that encodes its
// values, refuses some of them: here, functions.
type funcRefusingStore struct {
	store.Store
}

var _ store.ValueChecker = funcRefusingStore{}

func (funcRefusingStore) CheckValue(_ string, value any) error {
	if reflect.ValueOf(value).Kind() == reflect.Func {
		return errNoFuncs
	}
	return nil
}
