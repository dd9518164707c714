package e2e_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestRedisStoppedAndRestarted runs testStoppedAndRestarted on redis-server.
//
// It stays on a single server: it restarts the one redis-server process on
// its own data, persisted with appendfsync always. On a Sentinel set or a
// Cluster a lost server is replaced by failover instead, and a revived one
// comes back as an empty replica; TestFailoverUnderLoad covers that, and
// TestRedisDownErrorHandler covers every server of a deployment down.
func TestRedisStoppedAndRestarted(t *testing.T) {
	// appendfsync always: an acknowledged write is on disk, so it survives
	// a SIGKILL.
	server := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	// go-redis stops dialing after PoolSize failed dials and probes once a
	// second, so recovery takes up to about a second by the client's design
	// (measured 0.4 to 0.9 s); the slack is for a loaded CI machine.
	testStoppedAndRestarted(t, server, sharedRedis(deploymentClients(server)), 1500*time.Millisecond)
}

// TestPostgresStoppedAndRestarted runs testStoppedAndRestarted on a private
// PostgreSQL server, stopped in its immediate mode (as a crash would).
func TestPostgresStoppedAndRestarted(t *testing.T) {
	server := pgtest.Start(t)
	// pgx dials again on the next call: recovery is as quick as the
	// server's own start.
	testStoppedAndRestarted(t, server, postgresStores(t, server.URL), 1500*time.Millisecond)
}

// restartable is a server a test stops and starts again on its own data.
type restartable interface {
	Stop(t testing.TB)
	Restart(t testing.TB)
}

// testStoppedAndRestarted kills the server in the middle of a load of
// writing requests, then starts it again. While it is down every request is
// answered 503 through the default ErrorHandler, with no new session handed
// out; after the restart requests succeed again within maxRecovery, and
// every change that was acknowledged before the crash is still there.
func testStoppedAndRestarted(t *testing.T, server restartable, newStore func(t *testing.T) store.Store, maxRecovery time.Duration) {
	ins := newInstances(t, 2, newStore)
	apps := ginApps(ins)

	const users = 6
	browsers := make([]*browser, users)
	for i := range browsers {
		browsers[i] = ins[i%2].newBrowser()
		ins[i%2].login(t, apps[i%2], browsers[i])
	}

	// Writers: each sets its own keys, one per request, and remembers
	// which were acknowledged with 200.
	var (
		mu    sync.Mutex
		acked = map[int][]string{}
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i, b := range browsers {
		wg.Go(func() {
			w := b.clone()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("k%d", n)
				rec := w.send(apps[n%2], http.MethodPost, "/set?k="+key+"&v=v")
				switch rec.Code {
				case http.StatusOK:
					mu.Lock()
					acked[i] = append(acked[i], key)
					mu.Unlock()
				case http.StatusServiceUnavailable:
					assert.Equal(t, http.StatusText(http.StatusServiceUnavailable)+"\n", rec.Body.String(), "only the status text")
				default:
					assert.Failf(t, "unexpected status", "%d %q", rec.Code, rec.Body.String())
				}
				assert.Equal(t, b.cookie.load(), w.cookie.load(), "the session cookie never changes")
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	server.Stop(t)
	time.Sleep(100 * time.Millisecond)

	// Down: every kind of request gets 503 and no cookie.
	down := []struct{ method, target string }{
		{http.MethodGet, "/get?k=user"},
		{http.MethodPost, "/set?k=x&v=y"},
		{http.MethodPost, "/renew"},
		{http.MethodPost, "/logout"},
		{http.MethodGet, "/size"},
	}
	for i, app := range apps {
		for _, r := range down {
			b := browsers[0].clone()
			rec := b.send(app, r.method, r.target)
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s %s on %s while the store is down", r.method, r.target, ins[i].name)
			assert.Equal(t, browsers[0].cookie.load(), b.cookie.load(), "%s %s changed the cookie", r.method, r.target)
		}
		anon := ins[i].newBrowser()
		rec := anon.send(app, http.MethodPost, "/login?user=bob")
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "login while the store is down")
		assert.Empty(t, anon.cookie.load(), "no session is handed out while the store is down")
	}

	server.Restart(t)
	restarted := time.Now()
	var recovery time.Duration
	for i, app := range apps {
		require.Eventually(t, func() bool {
			return browsers[0].clone().send(app, http.MethodGet, "/get?k=user").Code == http.StatusOK
		}, 3*time.Second, 10*time.Millisecond, "%s did not recover after the restart", ins[i].name)
		recovery = time.Since(restarted)
	}
	assert.Less(t, recovery, maxRecovery, "every instance recovered only after %v", recovery)
	close(stop)
	wg.Wait()

	total := 0
	for i, b := range browsers {
		for _, key := range acked[i] {
			assert.Equal(t, "v", body(b.send(apps[1], http.MethodGet, "/get?k="+key)), "user %d lost acknowledged key %s", i, key)
			total++
		}
		assert.Equal(t, "ada", body(b.send(apps[0], http.MethodGet, "/get?k=user")))
	}
	t.Logf("%d acknowledged writes checked after the restart; recovered in %v", total, recovery)
	require.Positive(t, total, "the load wrote nothing before the stop")
}

// TestRedisDownErrorHandler checks what a custom ErrorHandler receives when
// Redis is down, on every topology (every data server killed, so none is
// left to fail over to): an error that wraps store.ErrUnavailable and holds
// no session ID.
func TestRedisDownErrorHandler(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		d := tp.Start(t)
		var got []error
		var mu sync.Mutex
		in := newInstances(t, 1, sharedRedis(deploymentClients(d)), func(o *manager.Options) {
			o.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
				mu.Lock()
				got = append(got, err)
				mu.Unlock()
				http.Error(w, "try again", http.StatusServiceUnavailable)
			}
		})[0]
		app := ginApp(in.m, nil)

		b := in.newBrowser()
		id := in.login(t, app, b)
		killAll(d)

		rec := b.send(app, http.MethodGet, "/get?k=user")
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, "try again\n", rec.Body.String())
		rec = in.newBrowser().send(app, http.MethodPost, "/login?user=bob")
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)

		mu.Lock()
		defer mu.Unlock()
		require.Len(t, got, 2)
		for _, err := range got {
			assert.True(t, errors.Is(err, store.ErrUnavailable), "%v does not wrap store.ErrUnavailable", err)
			assert.NotContains(t, err.Error(), id)
		}
	})
}
