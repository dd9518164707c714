package testkit

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// Env is a manager built for a test: a fake clock, recorded events, a
// captured debug log, and a sweeper that does not run unless the test
// calls Sweep.
type Env struct {
	M      *manager.Manager
	Clock  *Clock
	Events *Events
	Logs   *Buffer
	// CookieName is the name of the manager's session cookie.
	CookieName string
}

// NewEnv returns an Env whose manager is built from opts and creator. Fields
// the test left empty get test values: the fake clock, a stopped sweeper
// and a logger writing to Logs at debug level. The manager is closed when
// the test ends.
func NewEnv(t testing.TB, opts manager.Options, creator func(*http.Request, http.ResponseWriter) (manager.Session, error)) *Env {
	t.Helper()
	env := &Env{Clock: NewClock(), Events: &Events{}, Logs: &Buffer{}, CookieName: opts.CookieName}
	if env.CookieName == "" {
		env.CookieName = seam.DefaultCookieName
	}
	if opts.Clock == nil {
		opts.Clock = env.Clock.Now
	}
	if opts.GcStopChan == nil {
		opts.GcStopChan = StoppedSweeper()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	env.M = manager.NewManager(opts, creator, env.Events.Handle)
	t.Cleanup(func() { require.NoError(t, env.M.Close()) })
	return env
}

// NewStoreEnv returns an Env over st. Its fake clock starts at the current
// wall time, not NewClock's fixed moment, because stores such as Redis give
// their keys real expiry times: a session made "in 2023" would be gone from
// them at once.
func NewStoreEnv(t testing.TB, st store.Store, opts manager.Options) *Env {
	t.Helper()
	clock := NewClockAt(time.Now().Truncate(time.Second))
	opts.Store, opts.Clock = st, clock.Now
	env := NewEnv(t, opts, nil)
	env.Clock = clock
	return env
}

// Create makes a session outside any middleware and returns it with the
// cookie that the response set.
func (env *Env) Create(t testing.TB) (manager.Session, *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	s, err := env.M.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	require.NoError(t, err)
	require.NotNil(t, s)
	ck := SessionCookie(t, rec, env.CookieName)
	require.Equal(t, s.GetId(), ck.Value)
	return s, ck
}

// SessionCookie returns the cookie called name that rec's response set,
// and fails the test when there is none.
func SessionCookie(t testing.TB, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	require.FailNowf(t, "no session cookie", "the response set no cookie %q; Set-Cookie: %q", name, rec.Header().Values("Set-Cookie"))
	return nil
}

// RequestWith returns a GET request for / that carries ck, if not nil.
func RequestWith(ck *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if ck != nil {
		r.AddCookie(ck)
	}
	return r
}
