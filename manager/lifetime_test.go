package manager_test

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
)

func TestSetLifetimeMovesTheDeadline(t *testing.T) {
	managertest.SetLifetimeMovesTheDeadline(t, managertest.Memory)
}

// setLifetime runs SetLifetime(d) on a request with ck and returns the
// response and the error.
func setLifetime(env *testkit.Env, ck *http.Cookie, d time.Duration) (*httptest.ResponseRecorder, error) {
	var err error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err = env.M.SetLifetime(r, w, d)
	}))
	return testkit.Send(h, http.MethodPost, "/remember", ck), err
}

// TestSetLifetimeMaximumDefaultsToMaxAge: unless the operator sets
// Options.MaxLifetime, no session can ask for more than MaxAge; it can
// still ask for less.
func TestSetLifetimeMaximumDefaultsToMaxAge(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxAge: 3600}, nil)
	_, ck := env.Create(t)
	env.Clock.Advance(10 * time.Minute)

	rec, err := setLifetime(env, ck, 30*24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 50*60, testkit.SessionCookie(t, rec, env.CookieName).MaxAge)
	env.Clock.Advance(50 * time.Minute)
	assert.Nil(t, env.M.GetSessionById(ck.Value), "the session outlived MaxAge")
}

// TestSetLifetimeWithoutAbsoluteLimit: with a negative MaxAge sessions have
// no absolute deadline and a browser-session cookie; SetLifetime gives them
// both.
func TestSetLifetimeWithoutAbsoluteLimit(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxAge: -1, MaxInactiveInterval: -1}, nil)
	_, ck := env.Create(t)
	assert.Zero(t, ck.MaxAge, "a browser-session cookie to start with")

	rec, err := setLifetime(env, ck, 90*24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 90*86400, testkit.SessionCookie(t, rec, env.CookieName).MaxAge)
	env.Clock.Advance(90 * 24 * time.Hour)
	assert.Nil(t, env.M.GetSessionById(ck.Value))
}

// TestSetLifetimeRefusesBadCalls: a lifetime that is not positive, a
// request without a session, and a response already started each get an
// error, and the session keeps its deadline.
func TestSetLifetimeRefusesBadCalls(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxAge: 3600, MaxLifetime: 7200}, nil)
	_, ck := env.Create(t)
	for _, d := range []time.Duration{0, -time.Second} {
		rec, err := setLifetime(env, ck, d)
		assert.Error(t, err, "lifetime %v", d)
		assert.Empty(t, rec.Result().Cookies())
	}
	_, err := setLifetime(env, nil, time.Hour)
	assert.ErrorIs(t, err, manager.ErrNoSession)

	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
		assert.ErrorIs(t, env.M.SetLifetime(r, w, 2*time.Hour), manager.ErrHeadersWritten)
	}))
	testkit.Send(h, http.MethodPost, "/remember", ck)

	env.Clock.Advance(time.Hour)
	assert.Nil(t, env.M.GetSessionById(ck.Value), "a refused call moved the deadline")
}

// TestSetLifetimeThatCannotBeStoredFailsTheResponse: the user asked to be
// remembered; a store failure must not answer 200 as if it were done, even
// when the handler ignores the error.
func TestSetLifetimeThatCannotBeStoredFailsTheResponse(t *testing.T) {
	fs := testkit.NewFaultyStore()
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: fs, MaxLifetime: 7 * 86400}, nil)
	_, ck := env.Create(t)
	fs.FailSetExpires.Store(true)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.ErrorIs(t, env.M.SetLifetime(r, w, 7*24*time.Hour), testkit.ErrInjected)
		_, _ = io.WriteString(w, "remembered") // ignoring the error
	}))

	rec := testkit.Send(h, http.MethodPost, "/remember", ck)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "remembered")
}

// TestSetLifetimeOfTheLongestDurationKeepsItsCookie: an application that
// asks for "as long as allowed" with the largest time.Duration, on a
// manager whose sessions have no absolute limit, gets a cookie that lives
// as long as the session. Rounding the lifetime up to whole seconds
// overflowed, and the cookie was sent with Max-Age=1: the user was logged
// out a second after asking to be remembered.
func TestSetLifetimeOfTheLongestDurationKeepsItsCookie(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxAge: -1, MaxInactiveInterval: -1}, nil)
	_, ck := env.Create(t)

	rec, err := setLifetime(env, ck, math.MaxInt64)
	require.NoError(t, err)
	assert.Equal(t, int(math.MaxInt64/int64(time.Second))+1, testkit.SessionCookie(t, rec, env.CookieName).MaxAge)
	env.Clock.Advance(time.Hour)
	assert.NotNil(t, env.M.GetSessionById(ck.Value))
}
