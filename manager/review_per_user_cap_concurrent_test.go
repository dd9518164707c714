package manager_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

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
// What a user sees on main: with a cap of 1, a double-submitted login form
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
