package manager_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestChangesOfTheLoserOfTwoRenewalsFailTheResponse: two logins of one
// session race (two tabs, two instances). The loser set a value, then its
// RenewSession finds the ID renewed away: the manager treats that like a
// logout (ErrSessionGone), drops the held change and forgets the session,
// and a handler that ignores the error answers 200 for a change that was
// lost, although the session lives on under the winner's ID. A renewal by
// another request in between must go to the error handler (409, as a
// change racing a renewal does), not vanish.
func TestChangesOfTheLoserOfTwoRenewalsFailTheResponse(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		a := newStoreEnv(t, st, manager.Options{})
		b := newStoreEnv(t, st, manager.Options{})
		_, ck := a.create(t)

		winner := b.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := b.m.RenewSession(r, w)
			require.NoError(t, err)
		}))
		loser := a.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := a.m.GetSession(r)
			require.NotNil(t, s)
			require.Equal(t, http.StatusOK, serve(winner, "/login", ck).Code, "the winning renewal")
			require.NoError(t, s.Set("cart", "3 items"))
			_, err := a.m.RenewSession(r, w)
			require.ErrorIs(t, err, manager.ErrSessionGone)
			_, _ = w.Write([]byte("welcome"))
		}))

		rec := serve(loser, "/login", ck)
		assert.NotEqual(t, http.StatusOK, rec.Code, "a change lost to another request's renewal was answered 200")
		assert.NotContains(t, rec.Body.String(), "welcome")
	})
}
