package manager_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestWriteRacingTwoRenewalsFailsInsteadOfVanishing: request A holds a
// change while the session is renewed twice in quick succession (a login,
// then a privilege step-up, in other tabs). The store keeps only the latest
// former ID's mark, so A's old ID now looks like an ended session, and its
// change is dropped as if logout had won: A answers 200 for a change that
// was lost, although the session lives on. Scope.Commit's doc promises
// ErrSessionRenewed for "a session that another request renewed meanwhile".
func TestWriteRacingTwoRenewalsFailsInsteadOfVanishing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		a := newStoreEnv(t, st, manager.Options{})
		b := newStoreEnv(t, st, manager.Options{})
		s, ck := a.create(t)
		require.NoError(t, s.Set("role", "user"))

		renew := b.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := b.m.RenewSession(r, w)
			require.NoError(t, err)
		}))
		write := a.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, a.m.GetSession(r).Set("role", "admin"))
			first := serve(renew, "/renew", ck)
			require.Equal(t, http.StatusOK, first.Code, "the first renewal")
			second := serve(renew, "/renew", sessionCookie(t, first, manager.DefaultCookieName))
			require.Equal(t, http.StatusOK, second.Code, "the second renewal")
			_, _ = w.Write([]byte("saved"))
		}))

		rec := serve(write, "/write", ck)
		assert.Equal(t, http.StatusConflict, rec.Code, "a change lost to two renewals was answered")
		assert.NotContains(t, rec.Body.String(), "saved")
	})
}
