package manager_test

// Login and the sessions of a user. The tests whose outcome rests on the
// store live in internal/testkit/managertest and run here on the memory
// store (internal/e2e runs them on Redis); the ones below test what the
// manager alone decides: bad input, a store that fails, and logins that
// race at the per-user cap.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

func TestLoginRenewsTheSessionAndBindsIt(t *testing.T) {
	managertest.LoginRenewsTheSessionAndBindsIt(t, managertest.Memory)
}

func TestLoginCreatesASessionWhenThereIsNone(t *testing.T) {
	managertest.LoginCreatesASessionWhenThereIsNone(t, managertest.Memory)
}

func TestLoginLosingARenewalFails(t *testing.T) {
	managertest.LoginLosingARenewalFails(t, managertest.Memory)
}

func TestLoginAsAnotherUserStartsAfresh(t *testing.T) {
	managertest.LoginAsAnotherUserStartsAfresh(t, managertest.Memory)
}

func TestUserSessionsListsTheUsersLiveSessions(t *testing.T) {
	managertest.UserSessionsListsTheUsersLiveSessions(t, managertest.Memory)
}

func TestDestroyOtherSessionsEndsTheRestOnce(t *testing.T) {
	managertest.DestroyOtherSessionsEndsTheRestOnce(t, managertest.Memory)
}

func TestDestroyUserSessionEndsOnlyThatUsersSession(t *testing.T) {
	managertest.DestroyUserSessionEndsOnlyThatUsersSession(t, managertest.Memory)
}

func TestDestroyOtherSessionsSparesTheRequestsOwnRenewedSession(t *testing.T) {
	managertest.DestroyOtherSessionsSparesTheRequestsOwnRenewedSession(t, managertest.Memory)
}

func TestDestroyUserSessionOfAnExpiredSessionIsNoLogout(t *testing.T) {
	managertest.DestroyUserSessionOfAnExpiredSessionIsNoLogout(t, managertest.Memory)
}

func TestPerUserCapDestroysTheOldest(t *testing.T) {
	managertest.PerUserCapDestroysTheOldest(t, managertest.Memory)
}

// TestPerUserCallsRefuseAnEmptyUser: "" names no user (binding to it
// unbinds), so Login to it and the per-user calls fail, and the request's
// session is left as it was.
func TestPerUserCallsRefuseAnEmptyUser(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, ck := env.Create(t)
	rec := httptest.NewRecorder()

	s, err := env.M.Login(testkit.RequestWith(ck), rec, "")
	assert.Error(t, err)
	assert.Nil(t, s)
	assert.Empty(t, rec.Result().Cookies(), "a refused login sent a cookie")
	assert.NotNil(t, env.M.GetSessionById(ck.Value), "a refused login ended the session")

	_, err = env.M.UserSessions(testkit.RequestWith(ck), "")
	assert.Error(t, err)
	assert.Error(t, env.M.DestroyUserSession("", "AAAAAAAAAAAA"))
	_, err = env.M.DestroyUserSessions("")
	assert.Error(t, err)
	_, err = env.M.DestroyOtherSessions(testkit.RequestWith(ck), "")
	assert.Error(t, err)
	assert.NotNil(t, env.M.GetSessionById(ck.Value))
}

// TestLoginThatCannotBindFailsTheResponse: when the store cannot bind the
// session, Login returns the error and the response goes through the error
// handler even though the handler ignores it and welcomes the user: the
// session is not the user's. The session was made, so Created fired.
func TestLoginThatCannotBindFailsTheResponse(t *testing.T) {
	fs := testkit.NewFaultyStore()
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: fs}, nil)
	fs.FailSetUser.Store(true)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := env.M.Login(r, w, "ada@example.com")
		assert.ErrorIs(t, err, testkit.ErrInjected)
		_, _ = io.WriteString(w, "welcome") // ignoring the error
	}))

	rec := testkit.Send(h, http.MethodPost, "/login")
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "welcome")
	assert.Equal(t, 1, env.Events.CountKind(manager.Created))
	assert.Equal(t, "", env.Events.All()[0].User)
}

// TestLoginSurvivesAFailingCap: a store failure while enforcing
// MaxSessionsPerUser is logged; the login itself succeeded and stands.
func TestLoginSurvivesAFailingCap(t *testing.T) {
	fs := testkit.NewFaultyStore()
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: fs, MaxSessionsPerUser: 1}, nil)
	fs.FailUserSessions.Store(true)
	rec := httptest.NewRecorder()

	s, err := env.M.Login(httptest.NewRequest(http.MethodPost, "/login", nil), rec, "ada@example.com")
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", env.M.GetSessionById(s.GetId()).User())
	assert.Contains(t, env.Logs.String(), "enforcing MaxSessionsPerUser failed")
	assert.NotContains(t, env.Logs.String(), "ada@")
}

// TestLoginAfterTheResponseStartedFails: the new ID could not reach the
// client, so nothing is renewed.
func TestLoginAfterTheResponseStartedFails(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, ck := env.Create(t)
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
		_, err := env.M.Login(r, w, "ada@example.com")
		assert.ErrorIs(t, err, manager.ErrHeadersWritten)
	}))
	testkit.Send(h, http.MethodPost, "/login", ck)
	s := env.M.GetSessionById(ck.Value)
	require.NotNil(t, s, "the session was renewed away from the ID the client holds")
	assert.Equal(t, "", s.User())
}

// newRacingUserEnv returns an Env over a memory store that runs a test's
// hook after a listing of a user's sessions, and a login of
// ada@example.com on it that returns the session's cookie.
func newRacingUserEnv(t *testing.T) (*testkit.Env, *testkit.RacingStore, func() *http.Cookie) {
	t.Helper()
	racing := &testkit.RacingStore{Store: store.NewMemory()}
	t.Cleanup(func() { require.NoError(t, racing.Store.Close()) })
	env := testkit.NewEnv(t, manager.Options{Store: racing}, nil)
	login := func() *http.Cookie {
		t.Helper()
		rec := httptest.NewRecorder()
		_, err := env.M.Login(httptest.NewRequest(http.MethodPost, "/login", nil), rec, "ada@example.com")
		require.NoError(t, err)
		return testkit.SessionCookie(t, rec, env.CookieName)
	}
	return env, racing, login
}

// TestDestroyOtherSessionsFollowsARenewal: a session renewed (on another
// instance) after "log out everywhere else" listed it, and before it ended
// it, is found again under its new ID and ended too, with one Destroyed;
// nothing fires for the ID it was renewed away from.
func TestDestroyOtherSessionsFollowsARenewal(t *testing.T) {
	env, racing, login := newRacingUserEnv(t)
	current, other, renewing := login(), login(), login()
	var renewed manager.Session
	racing.AfterNextListing(func() {
		var err error
		renewed, err = env.M.RenewSession(testkit.RequestWith(renewing), httptest.NewRecorder())
		require.NoError(t, err)
	})

	n, err := env.M.DestroyOtherSessions(testkit.RequestWith(current), "ada@example.com")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Nil(t, env.M.GetSessionById(other.Value))
	assert.Nil(t, env.M.GetSessionById(renewed.GetId()), "the renewed session outlived log out everywhere else")
	assert.NotNil(t, env.M.GetSessionById(current.Value))
	assert.Equal(t, map[string]int{
		store.MaskedID(other.Value):  1,
		renewed.GetMaskedSessionId(): 1,
	}, env.Events.DestroyedByMask())
}

// bindBarrierStore holds every SetUser, once it bound, until n of them
// have: n logins of one user that have each bound their session and not yet
// enforced the per-user cap, as two devices logging in at the same moment
// (or one login form sent twice by a double click from a browser with no
// session yet) leave them.
type bindBarrierStore struct {
	store.Store
	bound sync.WaitGroup
}

func (s *bindBarrierStore) SetUser(ctx context.Context, id, user string) error {
	err := s.Store.SetUser(ctx, id, user)
	s.bound.Done()
	s.bound.Wait()
	return err
}

// TestConcurrentLoginsAtACapOfOneKeepOneSession: MaxSessionsPerUser: 1
// ("one device at a time"), and two logins of the user whose bindings both
// land before either enforces the cap. Whatever the order of what follows,
// both sessions end, though both logins returned success and sent their
// cookie: the first to enforce the cap lists [A, B], keeps its own and ends
// the other; the second then lists only the first's session, counts its
// own as "bound, yet not listed: it still counts" (capUserSessions) though
// it was listed out because it was ended, and ends the survivor. (When both
// list before either ends anything, each ends the other.) The sequential
// outcome, and the one the cap's purpose asks for, is one live session. The
// docs allow concurrent logins to "leave fewer" than the cap, but also say
// the cap never ends "the session just bound"; here each login's session
// is ended right after it was bound, by the other. It failed 50 times in 50
// runs, and 20 in 20 under -race.
//
// What a user saw before the fix: with a cap of 1, a double-submitted login form
// (two requests, no cookie yet) or two devices logging in together logs
// the user out everywhere: the next request of each finds no session and
// asks for the password again. With a cap of n, n+1 such logins can leave
// the user with none.
func TestConcurrentLoginsAtACapOfOneKeepOneSession(t *testing.T) {
	mem := store.NewMemory()
	t.Cleanup(func() { require.NoError(t, mem.Close()) })
	st := &bindBarrierStore{Store: mem}
	st.bound.Add(2)
	env := testkit.NewEnv(t, manager.Options{Store: st, MaxSessionsPerUser: 1}, nil)

	var logins sync.WaitGroup
	for range 2 {
		logins.Go(func() {
			_, err := env.M.Login(testkit.RequestWith(nil), httptest.NewRecorder(), "ada@example.com")
			assert.NoError(t, err, "both logins succeed")
		})
	}
	logins.Wait()

	live, err := env.M.UserSessions(nil, "ada@example.com")
	require.NoError(t, err)
	assert.Len(t, live, 1, "a cap of 1 keeps one session of the two logins, not none")
	assert.Equal(t, 2, env.Events.CountKind(manager.Created))
	assert.Equal(t, 1, env.Events.CountKind(manager.Destroyed), "only the older login's session is ended by the cap")
}

// TestDestroyOtherSessionsRenewedOwnSessionOnARetry: "log out everywhere
// else" whose first pass ends one session and misses another (renewed on
// another instance meanwhile, so its delete finds nothing and the call
// lists again), and whose own session is renewed by another tab before the
// second pass. The call stops there with ErrSessionRenewed; what it returns
// must say what it did: the count of the sessions it ended, and an error
// that says so, not the "no other session was ended" of a first pass.
func TestDestroyOtherSessionsRenewedOwnSessionOnARetry(t *testing.T) {
	env, racing, login := newRacingUserEnv(t)
	current, other, renewing := login(), login(), login()
	racing.AfterNextListing(func() {
		// After the first listing: another instance renews a listed
		// session, so that the first pass misses it and lists again.
		_, err := env.M.RenewSession(testkit.RequestWith(renewing), httptest.NewRecorder())
		require.NoError(t, err)
		racing.AfterNextListing(func() {
			// After the second listing: another tab renews the request's
			// own session.
			_, err := env.M.RenewSession(testkit.RequestWith(current), httptest.NewRecorder())
			require.NoError(t, err)
		})
	})

	n, err := env.M.DestroyOtherSessions(testkit.RequestWith(current), "ada@example.com")
	require.ErrorIs(t, err, manager.ErrSessionRenewed)
	require.Nil(t, env.M.GetSessionById(other.Value), "the first pass ended the other session")
	assert.Equal(t, 1, n, "the count of the sessions ended before the call stopped")
	assert.Contains(t, err.Error(), "after 1 other sessions were ended", "the error says that one was")
	assert.NotContains(t, err.Error(), "no other session was ended")
}
