package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionkit/session/store"
)

// testConcurrentUserIndex: goroutines bind, unbind, rebind, renew, delete
// and sweep the sessions of one user at once. Afterwards each user's list
// is exactly the set of live sessions bound to that user, as Load sees
// them; then sweeping and DeleteUserSession empty the lists.
func testConcurrentUserIndex(t *testing.T, e *env) {
	const sessions = 24
	now := e.base

	// current[i] is session i's ID; a successful Renew moves it on.
	current := make([]atomic.Pointer[string], sessions)
	var mu sync.Mutex
	var issued []string // every ID any session ever had
	for i := range sessions {
		id, rec := newID(t), e.record(nil)
		rec.User = "ada"
		if i%4 == 0 {
			rec.Accessed = e.at(-idle) // expired at now: Sweep claims it
		}
		e.create(id, rec)
		current[i].Store(&id)
		issued = append(issued, id)
	}
	renewTo := newIDs(t, goroutines*40) // one per goroutine and step

	expected := func(err error, allowed ...error) {
		for _, a := range allowed {
			if errors.Is(err, a) {
				return
			}
		}
		assert.NoError(t, err)
	}
	together(goroutines, func(g int) {
		for step := range 40 {
			i := (g*7 + step*5) % sessions
			idp := current[i].Load()
			switch (g + step) % 6 {
			case 0, 1:
				user := []string{"ada", "bob", "ada"}[step%3]
				expected(e.s.SetUser(e.ctx, *idp, user), store.ErrNotFound, store.ErrRenewed)
			case 2:
				expected(e.s.SetUser(e.ctx, *idp, ""), store.ErrNotFound, store.ErrRenewed)
			case 3:
				to := renewTo[g*40+step]
				err := e.s.Renew(e.ctx, *idp, to, now)
				if err == nil {
					current[i].CompareAndSwap(idp, &to)
					mu.Lock()
					issued = append(issued, to)
					mu.Unlock()
				}
				expected(err, store.ErrNotFound, store.ErrRenewed, store.ErrExists)
			case 4:
				if step%8 == 4 {
					_, _, err := e.s.Delete(e.ctx, *idp)
					expected(err, store.ErrRenewed)
				} else {
					_, _, err := e.s.DeleteUserSession(e.ctx, "bob", store.MaskedID(*idp))
					expected(err)
				}
			default:
				_, err := e.s.Sweep(e.ctx, now, 3)
				expected(err)
			}
		}
	})

	assertIndexMatches := func(at time.Time) {
		t.Helper()
		live := map[string][]string{}
		for _, id := range issued {
			if rec, found := e.load(id, at, false); found && rec.User != "" && !rec.ExpiredAt(at) {
				live[rec.User] = append(live[rec.User], store.MaskedID(id))
			}
		}
		for _, user := range []string{"ada", "bob"} {
			var listed []string
			for _, x := range e.userSessions(user, at) {
				listed = append(listed, x.MaskedID)
			}
			assert.ElementsMatchf(t, live[user], listed, "UserSessions(%q) after the race", user)
		}
	}
	assertIndexMatches(now)
	e.drain(now, 10)
	assertIndexMatches(now)

	for _, user := range []string{"ada", "bob"} {
		for _, x := range e.userSessions(user, now) {
			_, deleted := e.deleteUserSession(user, x.MaskedID)
			assert.True(t, deleted, "DeleteUserSession of a listed session")
		}
		e.assertListed(user, now)
	}
}
