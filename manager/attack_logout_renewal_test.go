package manager_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestLogoutRacingARenewalFailsInsteadOfVanishing: a logout request loads
// the session; before it destroys it, another request (a login in another
// tab, on another instance) renews the session. The logout's Delete of the
// old ID finds only the renewal's mark and removes nothing, yet the logout
// answers 200 and expires the cookie, while the renewed session, which the
// other tab's cookie holds, lives on. A logout that did not land must not
// answer 200: it must fail (ErrSessionRenewed, as a change does) or end the
// session the ID was renewed to.
func TestLogoutRacingARenewalFailsInsteadOfVanishing(t *testing.T) {
	for name, logout := range map[string]func(m *manager.Manager, w http.ResponseWriter, r *http.Request){
		"DestroySession": func(m *manager.Manager, w http.ResponseWriter, r *http.Request) { _ = m.DestroySession(r, w) },
		"Invalidate":     func(m *manager.Manager, w http.ResponseWriter, r *http.Request) { m.GetSession(r).Invalidate() },
	} {
		t.Run(name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				a := newStoreEnv(t, st, manager.Options{})
				b := newStoreEnv(t, st, manager.Options{})
				s, ck := a.create(t)
				require.NoError(t, s.Set("user", "ada"))

				var renewedID string
				renew := b.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					s, err := b.m.RenewSession(r, w)
					require.NoError(t, err)
					renewedID = s.GetId()
				}))
				h := a.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					require.NotNil(t, a.m.GetSession(r))
					require.Equal(t, http.StatusOK, serve(renew, "/login", ck).Code, "the renewal in between")
					logout(a.m, w, r)
					http.Redirect(w, r, "/", http.StatusSeeOther)
				}))

				rec := serve(h, "/logout", ck)
				if rec.Code == http.StatusSeeOther {
					assert.Nil(t, b.m.GetSessionById(renewedID), "the logout answered its redirect, but the session lives on under its renewed ID")
				}
			})
		})
	}
}
