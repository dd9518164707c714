package managertest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// The tests of this file race a request's session work against another
// request (on another instance sharing the store) that renews or ends the
// session: the work lands, or the response goes through the error handler;
// it is never answered 200 and lost, and never done to the renewed session.

// storeEnv returns an Env with default options over a new store.
func storeEnv(t *testing.T, newStore NewStore) *testkit.Env {
	t.Helper()
	return testkit.NewStoreEnv(t, newStore(t), manager.Options{})
}

// twoInstances returns two managers sharing one new store, as two
// instances of an application behind a load balancer, and a session made
// by the first, with key set to value unless key is empty.
func twoInstances(t *testing.T, newStore NewStore, key, value string) (a, b *testkit.Env, ck *http.Cookie) {
	t.Helper()
	st := newStore(t)
	a = testkit.NewStoreEnv(t, st, manager.Options{})
	b = testkit.NewStoreEnv(t, st, manager.Options{})
	s, ck := a.Create(t)
	if key != "" {
		require.NoError(t, s.Set(key, value))
	}
	return a, b, ck
}

// renewer is a handler of env that renews the request's session, which
// must succeed, and stores the new ID in *renewedID.
func renewer(t *testing.T, env *testkit.Env, renewedID *string) http.Handler {
	return env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := env.M.RenewSession(r, w)
		require.NoError(t, err)
		*renewedID = s.GetId()
	}))
}

// writeAround returns a handler on env that sets "role" to "admin", runs
// between while that change is pending, then answers "saved": a request
// whose commit comes after whatever between did on another instance.
func writeAround(t *testing.T, env *testkit.Env, between func()) http.Handler {
	return env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, env.M.GetSession(r).Set("role", "admin"))
		between()
		_, _ = w.Write([]byte("saved"))
	}))
}

// WriteRacingARenewalFailsInsteadOfVanishing: request A holds a change
// while request B (on another instance sharing the store) renews the
// session, as a login in another tab does. A's commit must not answer 200
// for a change that was lost, nor carry it into the renewed session.
func WriteRacingARenewalFailsInsteadOfVanishing(t *testing.T, newStore NewStore) {
	a, b, ck := twoInstances(t, newStore, "role", "user")
	var renewedID string
	renew := renewer(t, b, &renewedID)
	write := writeAround(t, a, func() {
		require.Equal(t, http.StatusOK, testkit.Get(renew, "/renew", ck).Code, "the renewal in between")
	})

	rec := testkit.Get(write, "/write", ck)
	assert.Equal(t, http.StatusConflict, rec.Code, "the response of a change lost to a renewal")
	assert.NotContains(t, rec.Body.String(), "saved", "the handler's body went out")
	assert.Equal(t, "user", testkit.ValueOf(b.M, renewedID, "role"), "the renewed session")
	assert.Nil(t, a.M.GetSessionById(ck.Value), "the old ID came back")
}

// WriteRacingALogoutIsDropped: a change held by a request while
// another one destroys the session is dropped, and the response goes on
// (logout wins): the session stays destroyed.
func WriteRacingALogoutIsDropped(t *testing.T, newStore NewStore) {
	env := storeEnv(t, newStore)
	_, ck := env.Create(t)
	logout := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, env.M.DestroySession(r, w))
	}))
	write := writeAround(t, env, func() { testkit.Get(logout, "/logout", ck) })

	rec := testkit.Get(write, "/write", ck)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Nil(t, env.M.GetSessionById(ck.Value), "a late change brought a destroyed session back")
	assert.Equal(t, 1, env.Events.CountKind(manager.Destroyed))
}

// LogoutRacingARenewalFailsInsteadOfVanishing: a logout request loads
// the session; before it destroys it, another request (a login in another
// tab, on another instance) renews the session. The logout finds only the
// renewal's mark under the old ID: it did not land, so it must not answer
// 200 and expire the cookie while the renewed session lives on. It fails
// with ErrSessionRenewed (409); it does not end the renewed session either,
// which an old, possibly planted, ID must never act on.
func LogoutRacingARenewalFailsInsteadOfVanishing(t *testing.T, newStore NewStore) {
	for name, logout := range map[string]func(m *manager.Manager, w http.ResponseWriter, r *http.Request){
		"DestroySession": func(m *manager.Manager, w http.ResponseWriter, r *http.Request) { _ = m.DestroySession(r, w) },
		"Invalidate":     func(m *manager.Manager, w http.ResponseWriter, r *http.Request) { m.GetSession(r).Invalidate() },
	} {
		t.Run(name, func(t *testing.T) {
			a, b, ck := twoInstances(t, newStore, "user", "ada")
			var renewedID string
			renew := renewer(t, b, &renewedID)
			h := a.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.NotNil(t, a.M.GetSession(r))
				require.Equal(t, http.StatusOK, testkit.Get(renew, "/login", ck).Code, "the renewal in between")
				logout(a.M, w, r)
				http.Redirect(w, r, "/", http.StatusSeeOther)
			}))

			rec := testkit.Get(h, "/logout", ck)
			if rec.Code == http.StatusSeeOther {
				assert.Nil(t, b.M.GetSessionById(renewedID), "the logout answered its redirect, but the session lives on under its renewed ID")
			}
		})
	}
}

// WriteRacingTwoRenewalsFailsInsteadOfVanishing: request A holds a
// change while the session is renewed twice in quick succession (a login,
// then a privilege step-up, in other tabs). The store remembers each recent
// former ID, not only the latest, so A's commit still learns of the renewal
// and fails with 409 instead of dropping the change as if logout had won.
func WriteRacingTwoRenewalsFailsInsteadOfVanishing(t *testing.T, newStore NewStore) {
	a, b, ck := twoInstances(t, newStore, "role", "user")
	var renewedID string
	renew := renewer(t, b, &renewedID)
	write := writeAround(t, a, func() {
		first := testkit.Get(renew, "/renew", ck)
		require.Equal(t, http.StatusOK, first.Code, "the first renewal")
		second := testkit.Get(renew, "/renew", testkit.SessionCookie(t, first, a.CookieName))
		require.Equal(t, http.StatusOK, second.Code, "the second renewal")
	})

	rec := testkit.Get(write, "/write", ck)
	assert.Equal(t, http.StatusConflict, rec.Code, "a change lost to two renewals was answered")
	assert.NotContains(t, rec.Body.String(), "saved")
}

// ChangesOfTheLoserOfTwoRenewalsFailTheResponse: two logins of one
// session race (two tabs, two instances). The loser's RenewSession finds
// the ID renewed away, and a change it sets, before or after that call,
// cannot land. Even when the handler ignores the errors, the response goes
// to the error handler (409, as a change racing a renewal does) instead of
// a 200 for a change that was lost: the order of two calls must not decide.
// A Set after the lost renewal says why it was refused (ErrSessionRenewed,
// not a plain ErrSessionGone, which callers treat as "logged out, ignore").
func ChangesOfTheLoserOfTwoRenewalsFailTheResponse(t *testing.T, newStore NewStore) {
	for _, setFirst := range []bool{true, false} {
		name := "set after the lost renewal"
		if setFirst {
			name = "set before the lost renewal"
		}
		t.Run(name, func(t *testing.T) {
			a, b, ck := twoInstances(t, newStore, "", "")
			var renewedID string
			winner := renewer(t, b, &renewedID)
			var renewErr, setErr error
			loser := a.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := a.M.GetSession(r)
				require.NotNil(t, s)
				require.Equal(t, http.StatusOK, testkit.Get(winner, "/login", ck).Code, "the winning renewal")
				if setFirst {
					setErr = s.Set("cart", "3 items")
				}
				_, renewErr = a.M.RenewSession(r, w)
				if !setFirst {
					setErr = s.Set("cart", "3 items")
				}
				_, _ = w.Write([]byte("welcome"))
			}))

			rec := testkit.Get(loser, "/login", ck)
			assert.ErrorIs(t, renewErr, manager.ErrSessionRenewed, "the losing RenewSession")
			if !setFirst {
				assert.ErrorIs(t, setErr, manager.ErrSessionRenewed, "Set on the session a renewal took")
			}
			assert.NotEqual(t, http.StatusOK, rec.Code, "a change lost to another request's renewal was answered 200")
			assert.NotContains(t, rec.Body.String(), "welcome")
		})
	}
}
