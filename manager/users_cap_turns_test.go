package manager_test

// The per-user cap's turns: capUserSessions takes one of 64 mutexes, chosen
// by a hash of the user name, while it deletes the sessions beyond the cap.
// The Destroyed handlers of the sessions it ends must run after the turn:
// a handler that logs a user in (the same one, or one sharing the lock)
// would otherwise deadlock, and a slow one would hold up other users.

import (
	"fmt"
	"hash/fnv"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// capLockOf mirrors userTurns.of: the index of the cap lock a user
// name maps to. It is used only to pick two users who share a lock; if
// the lock scheme changes the tests below still run, they merely pick two
// users that may no longer share one.
func capLockOf(user string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(user))
	return h.Sum32() % 64
}

// userSharingACapLockWith returns another user name whose cap lock is
// the one of user.
func userSharingACapLockWith(t *testing.T, user string) string {
	t.Helper()
	want := capLockOf(user)
	for i := range 10000 {
		other := fmt.Sprintf("user%d@example.com", i)
		if other != user && capLockOf(other) == want {
			return other
		}
	}
	t.Fatal("no user name found that shares a cap lock")
	return ""
}

// capOfOneManager returns a manager with a per-user cap of one session,
// no background sweeper, and handler as its event handler.
func capOfOneManager(t *testing.T, handler func(manager.Session, int)) *manager.Manager {
	t.Helper()
	m := manager.NewManager(manager.Options{
		MaxSessionsPerUser: 1,
		GcStopChan:         testkit.StoppedSweeper(),
	}, nil, handler)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// loginWithin logs user in on m in a goroutine and fails the test
// if the login has not returned within d. The goroutine of a deadlocked
// login is left blocked; the package's other tests go on.
func loginWithin(t *testing.T, m *manager.Manager, user string, d time.Duration, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := m.Login(testkit.RequestWith(nil), httptest.NewRecorder(), user)
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err, what)
	case <-time.After(d):
		t.Fatalf("%s: Login of %q has not returned after %v (deadlocked or stalled on the per-user cap lock)", what, user, d)
	}
}

// TestLoginOfAnotherUserFromACapDestroyedHandler: a Destroyed
// handler that logs in another user (an audit or service account, say)
// when the per-user cap ends a session. For 63 users in 64 it works; for a
// user whose name hashes to the same cap lock as the evicted user's, the
// nested Login waits for the lock its own caller holds, and both the
// request that logged in and the handler hang forever. What a user sees:
// the login page of some accounts (and only those) never answers, and
// every later login of any user sharing that lock hangs too.
func TestLoginOfAnotherUserFromACapDestroyedHandler(t *testing.T) {
	const ada = "ada@example.com"
	other := userSharingACapLockWith(t, ada)

	var m *manager.Manager
	var fired atomic.Bool // not sync.Once, which a nested call would deadlock on by itself
	m = capOfOneManager(t, func(s manager.Session, kind int) {
		if kind == manager.Destroyed && s.User() == ada && fired.CompareAndSwap(false, true) {
			_, _ = m.Login(testkit.RequestWith(nil), httptest.NewRecorder(), other)
		}
	})

	loginWithin(t, m, ada, 5*time.Second, "first login")
	// The second login of ada exceeds the cap of one: the cap ends the
	// first session, whose Destroyed handler logs in other.
	loginWithin(t, m, ada, 5*time.Second, "second login, whose cap fires a handler that logs in another user")
}

// TestLoginOfTheSameUserFromACapDestroyedHandler: a Destroyed
// handler that, when the cap ends a session, logs the same user in again
// (on a new request, e.g. for a device-management or token-refresh flow).
// The nested Login enforces the cap under the mutex its caller holds, and
// sync.Mutex is not reentrant: the login request never returns.
func TestLoginOfTheSameUserFromACapDestroyedHandler(t *testing.T) {
	const ada = "ada@example.com"

	var m *manager.Manager
	var fired atomic.Bool // not sync.Once, which a nested call would deadlock on by itself
	m = capOfOneManager(t, func(s manager.Session, kind int) {
		if kind == manager.Destroyed && fired.CompareAndSwap(false, true) {
			_, _ = m.Login(testkit.RequestWith(nil), httptest.NewRecorder(), ada)
		}
	})

	loginWithin(t, m, ada, 5*time.Second, "first login")
	loginWithin(t, m, ada, 5*time.Second, "second login, whose cap fires a handler that logs the same user in")
}

// TestSlowCapDestroyedHandlerLeavesOtherUsersLoginsAlone: a Destroyed
// handler that takes its time when the cap ends a session (it mails "you
// were signed out on another device", or calls a webhook). The handler
// runs while the cap lock of the evicted user is held, so the logins of
// every other user whose name hashes to that lock (one user in 64) wait
// for the mail server, with no bound: StoreWriteTimeout bounds the store
// calls, not the handler. users.go says two users sharing a lock "only wait
// for each other's cap, which takes a listing and a few deletes". What a
// user sees: their login hangs because a stranger was signed out.
func TestSlowCapDestroyedHandlerLeavesOtherUsersLoginsAlone(t *testing.T) {
	const ada = "ada@example.com"
	other := userSharingACapLockWith(t, ada)

	inHandler := make(chan struct{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var fired atomic.Bool
	m := capOfOneManager(t, func(s manager.Session, kind int) {
		if kind == manager.Destroyed && s.User() == ada && fired.CompareAndSwap(false, true) {
			close(inHandler)
			<-release // the mail server is slow
		}
	})

	loginWithin(t, m, ada, 5*time.Second, "first login")
	go func() { // the second login of ada: its cap ends the first session
		_, _ = m.Login(testkit.RequestWith(nil), httptest.NewRecorder(), ada)
	}()
	select {
	case <-inHandler:
	case <-time.After(5 * time.Second):
		t.Fatal("the cap never ended ada's first session")
	}

	// other's login has nothing to do with ada's sessions or her handler.
	loginWithin(t, m, other, 3*time.Second, "login of a user who shares only a cap lock with the evicted one")
}
