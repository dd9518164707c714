package manager_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestMetricsCountTheLifecycle drives sessions through every way of being
// made, renewed and ended that a request can cause, and checks each counter
// against what happened, and against the events.
func TestMetricsCountTheLifecycle(t *testing.T) {
	fs := testkit.NewFaultyStore()
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: fs, MaxInactiveInterval: 60, MaxAge: 100}, nil)
	h := testkit.App(env.M)
	create := func() *http.Cookie {
		return testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)
	}
	send := func(route string, ck *http.Cookie) *httptest.ResponseRecorder {
		return testkit.Send(h, http.MethodPost, route, ck)
	}

	// Logged out three ways, renewed once first.
	ck := create()
	ck = testkit.SessionCookie(t, send("/renew", ck), env.CookieName)
	require.Equal(t, http.StatusOK, send("/destroy", ck).Code)
	require.Equal(t, http.StatusOK, send("/invalidate", create()).Code)
	require.NoError(t, env.M.DestroySessionById(create().Value))
	// Replaced by a new one.
	replacing := create()
	send("/create", replacing)
	// Idle, found by a lookup; absolute, found by the sweep (kept in use
	// until its MaxAge of 100 s passes).
	idle, aged := create(), create()
	env.Clock.Advance(50 * time.Second)
	require.Contains(t, send("/whoami", aged).Body.String(), " ")
	env.Clock.Advance(49 * time.Second)
	assert.Equal(t, "none", send("/whoami", idle).Body.String())
	n, err := env.M.Sweep(t.Context()) // the one that replaced the first: idle too
	require.NoError(t, err)
	require.Equal(t, 1, n)
	env.Clock.Advance(time.Second)
	n, err = env.M.Sweep(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n, "the aged session, at its MaxAge")

	got := env.M.Metrics()
	want := manager.DestroyedMetrics{Logout: 3, Idle: 2, Absolute: 1, Replaced: 1}
	assert.Equal(t, want, got.Destroyed)
	assert.Equal(t, uint64(7), got.Created)
	assert.Equal(t, uint64(1), got.Renewed)
	assert.Equal(t, uint64(2), got.Sweep.Claimed)
	assert.Equal(t, uint64(2), got.Sweep.Duration.Count, "one per sweep")
	assert.Zero(t, got.FailedInvalidations)
	assert.Equal(t, uint64(env.Events.CountKind(manager.Created)), got.Created, "one Created per count")
	ended := want.Logout + want.Idle + want.Absolute + want.Replaced
	assert.Equal(t, uint64(env.Events.CountKind(manager.Destroyed)), ended, "one Destroyed per count")
	assert.Equal(t, StoreOpErrors{}, storeErrors(got.Store), "no store call failed")
	assert.Equal(t, uint64(fs.Loads()), got.Store.Load.Latency.Count, "every load is timed")
}

// StoreOpErrors holds Metrics.Store's error counters, to compare them at once.
type StoreOpErrors struct{ Create, Load, Update, Delete, Renew, Count, Sweep uint64 }

func storeErrors(s manager.StoreMetrics) StoreOpErrors {
	return StoreOpErrors{s.Create.Errors, s.Load.Errors, s.Update.Errors, s.Delete.Errors, s.Renew.Errors, s.Count.Errors, s.Sweep.Errors}
}

// TestMetricsCountStoreFailures: each failing store operation counts under
// its own name; a failed logout counts as a failed invalidation, and a
// failed renewal is no renewal.
func TestMetricsCountStoreFailures(t *testing.T) {
	fs := testkit.NewFaultyStore()
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: fs}, nil)
	h := testkit.App(env.M)
	ck := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)

	steps := []struct {
		fail  *atomic.Bool
		route string
	}{
		{&fs.FailLoad, "/whoami"},
		{&fs.FailUpdate, "/set?k=a&v=b"},
		{&fs.FailRenew, "/renew"},
		{&fs.FailDelete, "/destroy"},
		{&fs.FailDelete, "/invalidate"},
		{&fs.FailDelete, "/create"}, // the session it replaces cannot be destroyed
	}
	for _, step := range steps {
		step.fail.Store(true)
		rec := testkit.Send(h, http.MethodPost, step.route, ck)
		step.fail.Store(false)
		require.GreaterOrEqual(t, rec.Code, 400, "%s with its store call failing", step.route)
	}
	fs.FailCount.Store(true)
	_, err := env.M.CountSessions(t.Context())
	require.ErrorIs(t, err, testkit.ErrInjected)
	fs.FailCount.Store(false)

	got := env.M.Metrics()
	assert.Equal(t, StoreOpErrors{Load: 1, Update: 1, Renew: 1, Delete: 3, Count: 1}, storeErrors(got.Store))
	assert.Equal(t, uint64(3), got.FailedInvalidations, "destroy, invalidate and the destroy before create")
	assert.Zero(t, got.Renewed)
	assert.Equal(t, manager.DestroyedMetrics{}, got.Destroyed, "the session lives on")

	fs.FailCreate.Store(true)
	_, err = env.M.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	require.ErrorIs(t, err, testkit.ErrInjected)
	assert.Equal(t, uint64(1), env.M.Metrics().Store.Create.Errors)
}

// TestMetricsLeaveOutAnswersAndCancelledRequests: "not found", "renewed" and
// a request whose client went away are no store failures, or a logout race
// or a closed browser tab would page the operator.
func TestMetricsLeaveOutAnswersAndCancelledRequests(t *testing.T) {
	fs := testkit.NewFaultyStore()
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: fs}, nil)
	h := testkit.App(env.M)
	ck := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)
	renewed := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/renew", ck), env.CookieName)
	require.Equal(t, http.StatusConflict, testkit.Send(h, http.MethodPost, "/renew", ck).Code) // the old ID: ErrRenewed
	require.ErrorIs(t, env.M.DestroySessionById(ck.Value), manager.ErrSessionRenewed)

	fs.Err = context.Canceled
	fs.FailLoad.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := testkit.RequestWith(renewed).WithContext(ctx)
	testkit.App(env.M).ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, StoreOpErrors{}, storeErrors(env.M.Metrics().Store), "nothing the store did failed")

	// The same error without a cancelled request is the store's own.
	testkit.Send(h, http.MethodGet, "/whoami", renewed)
	assert.Equal(t, StoreOpErrors{Load: 1}, storeErrors(env.M.Metrics().Store))
	assert.Equal(t, uint64(1), env.M.Metrics().FailedInvalidations, "DestroySessionById of a renewed-away ID ended nothing")
}

// TestMetricsCountRefusalsAtTheCap: creations the full in-memory store
// refuses count as refusals, not as store failures; the memory store's calls
// are not timed.
func TestMetricsCountRefusalsAtTheCap(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxSessions: 1}, nil)
	env.Create(t)
	for range 3 {
		createAtCap(t, env)
	}
	got := env.M.Metrics()
	assert.Equal(t, uint64(3), got.Refused)
	assert.Equal(t, uint64(1), got.Created)
	assert.Equal(t, StoreOpErrors{}, storeErrors(got.Store))
	assert.Zero(t, got.Store.Create.Latency.Count, "the in-memory store is not timed")
	n, err := env.M.CountSessions(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// TestLogsTellTheStory: a renewal logs the old and the new masked ID and
// what renewed; each end logs its cause; no line holds a raw ID (the
// general rule is TestSecurityNoRawIDInLogsEventsOrErrors).
func TestLogsTellTheStory(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxInactiveInterval: 60}, nil)
	h := testkit.App(env.M)
	first := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)
	second := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/renew", first), env.CookieName)
	testkit.Send(h, http.MethodPost, "/destroy", second)
	idle := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)
	env.Clock.Advance(time.Minute)
	_, err := env.M.Sweep(t.Context())
	require.NoError(t, err)

	logs := env.Logs.String()
	lineWith := func(parts ...string) string {
		t.Helper()
		for line := range strings.Lines(logs) {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return line
			}
		}
		t.Errorf("no log line holds all of %q in:\n%s", parts, logs)
		return ""
	}
	lineWith("level=INFO", "session: renewed", "session="+store.MaskedID(second.Value), "previous="+store.MaskedID(first.Value), "cause=RenewSession")
	lineWith("level=INFO", "session: destroyed", "session="+store.MaskedID(second.Value), "cause=logout")
	lineWith("level=DEBUG", "session: destroyed", "session="+store.MaskedID(idle.Value), "cause=idle")
	lineWith("level=INFO", "sweep destroyed expired sessions", "count=1")
	for _, id := range []string{first.Value, second.Value, idle.Value} {
		assert.NotContains(t, logs, id, "a log line holds a raw ID")
	}
}

// TestMetricsCountPerUserEnds: a session ended to make room under
// MaxSessionsPerUser counts as user_cap, one ended by the user's own
// "log out everywhere" as logout; Login's renewal counts and logs as such.
func TestMetricsCountPerUserEnds(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxSessionsPerUser: 1}, nil)
	login := func(ck *http.Cookie) *http.Cookie {
		t.Helper()
		rec := httptest.NewRecorder()
		r := testkit.RequestWith(ck)
		env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := env.M.Login(r, w, "ann@example.com")
			require.NoError(t, err)
		})).ServeHTTP(rec, r)
		return testkit.SessionCookie(t, rec, env.CookieName)
	}
	laptop := login(nil)
	phone := login(nil) // the cap ends the laptop's session
	renewed := login(phone)
	n, err := env.M.DestroyUserSessions("ann@example.com")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	got := env.M.Metrics()
	assert.Equal(t, manager.DestroyedMetrics{UserCap: 1, Logout: 1}, got.Destroyed)
	assert.Equal(t, uint64(2), got.Created)
	assert.Equal(t, uint64(1), got.Renewed)
	logs := env.Logs.String()
	assert.Contains(t, logs, "session="+store.MaskedID(laptop.Value)+" cause=user_cap")
	assert.Contains(t, logs, "session="+store.MaskedID(renewed.Value)+" previous="+store.MaskedID(phone.Value)+" cause=Login")
	assert.Contains(t, logs, "session="+store.MaskedID(renewed.Value)+" cause=logout by=destroy-user-sessions")
}
