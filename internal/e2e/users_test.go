package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/manager"
)

// The tests of this file run three instances of a Gin app, each with its
// own manager and Redis client, over one Redis, and check the sessions of a
// user across them: a listing, "log out everywhere else", and the per-user
// cap under concurrent logins. Each runs on every topology; on Cluster the
// user's index and the sessions it names live in different slots.

// ada is the user of these tests: an e-mail address, which no log line may
// hold.
const ada = "ada@example.com"

// userApp serves the per-user Gin helpers. Routes:
//
//	POST /login?user=U     session.Login; answers the masked ID
//	GET  /sessions?user=U  session.UserSessions: "<masked ID>[ current]" a line
//	POST /others?user=U    session.DestroyOtherSessions; answers the count
//	GET  /whoami           "none", or the session's masked ID
func userApp(m *manager.Manager) http.Handler {
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	fail := func(c *gin.Context, err error) bool {
		if err != nil {
			session.HandleError(c, err)
		}
		return err != nil
	}
	r.POST("/login", func(c *gin.Context) {
		if s, err := session.Login(c, c.Query("user")); !fail(c, err) {
			c.String(http.StatusOK, s.GetMaskedSessionId())
		}
	})
	r.GET("/sessions", func(c *gin.Context) {
		list, err := session.UserSessions(c, c.Query("user"))
		if fail(c, err) {
			return
		}
		for _, us := range list {
			current := ""
			if us.Current {
				current = " current"
			}
			c.String(http.StatusOK, "%s%s\n", us.MaskedID, current)
		}
	})
	r.POST("/others", func(c *gin.Context) {
		if n, err := session.DestroyOtherSessions(c, c.Query("user")); !fail(c, err) {
			c.String(http.StatusOK, "%d", n)
		}
	})
	r.GET("/whoami", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			c.String(http.StatusOK, s.GetMaskedSessionId())
			return
		}
		c.String(http.StatusOK, "none")
	})
	return r
}

// userApps returns the user app of each instance.
func userApps(ins []*env) []http.Handler {
	apps := make([]http.Handler, len(ins))
	for i, in := range ins {
		apps[i] = userApp(in.m)
	}
	return apps
}

// loginAs logs b in as user through h and returns the session's masked ID.
func loginAs(t *testing.T, h http.Handler, b *browser, user string) string {
	t.Helper()
	rec := b.send(h, http.MethodPost, "/login?user="+user)
	require.Equal(t, http.StatusOK, rec.Code, body(rec))
	return body(rec)
}

// noUserNameLogged fails the test if a log line of an instance holds the
// user name.
func noUserNameLogged(t *testing.T, ins []*env) {
	t.Helper()
	for _, in := range ins {
		assert.NotContains(t, in.logs.String(), "ada@", "%s logged a user name", in.name)
	}
}

// TestRedisInstancesUserSessions: a user logged in on three instances is
// listed whole by each of them, the request's own session marked; "log out
// everywhere else" on one instance ends the sessions made on the others,
// with exactly one Destroyed each across the three, and spares the
// request's session and other users'.
func TestRedisInstancesUserSessions(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		ins := newInstances(t, 3, sharedRedis(tp.Client))
		apps := userApps(ins)
		clock := ins[0].clock
		browsers := make([]*browser, len(ins))
		masked := make([]string, len(ins))
		for i := range ins {
			browsers[i] = ins[i].newBrowser()
			masked[i] = loginAs(t, apps[i], browsers[i], ada)
			clock.Advance(time.Second) // the list is oldest first
		}
		bob := ins[0].newBrowser()
		loginAs(t, apps[0], bob, "bob@example.com")

		for i, b := range browsers {
			want := ""
			for j, m := range masked {
				want += m
				if j == i {
					want += " current"
				}
				want += "\n"
			}
			other := (i + 1) % len(apps)
			assert.Equal(t, want, b.send(apps[other], http.MethodGet, "/sessions?user="+ada).Body.String(),
				"browser %d's listing on %s", i, ins[other].name)
		}

		rec := browsers[1].send(apps[2], http.MethodPost, "/others?user="+ada)
		require.Equal(t, http.StatusOK, rec.Code, body(rec))
		assert.Equal(t, "2", body(rec))
		_, destroyed := ins[0].ledger.totals()
		assert.Equal(t, 2, destroyed, "Destroyed events across the three instances")
		for i, app := range apps {
			assert.Equal(t, "none", body(browsers[0].clone().send(app, http.MethodGet, "/whoami")), ins[i].name)
			assert.Equal(t, "none", body(browsers[2].clone().send(app, http.MethodGet, "/whoami")), ins[i].name)
			assert.Equal(t, masked[1], body(browsers[1].send(app, http.MethodGet, "/whoami")), ins[i].name)
			assert.NotEqual(t, "none", body(bob.send(app, http.MethodGet, "/whoami")), ins[i].name)
		}
		assert.Equal(t, masked[1]+" current\n", browsers[1].send(apps[0], http.MethodGet, "/sessions?user="+ada).Body.String())

		noUserNameLogged(t, ins)
		ins[0].end(t) // every session destroyed exactly once, across the three
	})
}

// TestRedisInstancesPerUserCap: logins of one user run at once on three
// instances with a cap of three sessions per user; afterwards the user has
// between one and three live sessions, every other one was destroyed with
// exactly one Destroyed, and a later login brings the user back to the cap
// at most.
func TestRedisInstancesPerUserCap(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		const limit, logins = 3, 30
		ins := newInstances(t, 3, sharedRedis(tp.Client), func(o *manager.Options) { o.MaxSessionsPerUser = limit })
		apps := userApps(ins)
		browsers := make([]*browser, logins)
		var wg sync.WaitGroup
		for i := range browsers {
			browsers[i] = ins[0].newBrowser()
			wg.Go(func() {
				rec := browsers[i].send(apps[i%len(apps)], http.MethodPost, "/login?user="+ada)
				assert.Equal(t, http.StatusOK, rec.Code, body(rec))
			})
		}
		wg.Wait()

		listing := func() []string {
			t.Helper()
			rec := ins[0].newBrowser().send(apps[1], http.MethodGet, "/sessions?user="+ada)
			require.Equal(t, http.StatusOK, rec.Code, body(rec))
			return strings.Fields(rec.Body.String())
		}
		live := listing()
		t.Logf("%d sessions live after %d concurrent logins with a cap of %d", len(live), logins, limit)
		assert.GreaterOrEqual(t, len(live), 1, "the cap ended every session")
		assert.LessOrEqual(t, len(live), limit, "the cap did not hold")
		created, destroyed := ins[0].ledger.totals()
		assert.Equal(t, logins, created)
		assert.Equal(t, logins-len(live), destroyed, "Destroyed events across the three instances")
		alive := 0
		for i, b := range browsers {
			if body(b.send(apps[(i+1)%len(apps)], http.MethodGet, "/whoami")) != "none" {
				alive++
			}
		}
		assert.Equal(t, len(live), alive, "browsers still logged in, against the listing")

		late := loginAs(t, apps[2], ins[0].newBrowser(), ada)
		live = listing()
		assert.Contains(t, live, late)
		assert.LessOrEqual(t, len(live), limit, fmt.Sprintf("after a later login: %v", live))

		noUserNameLogged(t, ins)
		ins[0].end(t)
	})
}
