package session_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

// TestRedisStoppedAndRestarted kills redis-server in the middle of a load of
// writing requests, then starts it again. While it is down every request is
// answered 503 through the ErrorHandler, with no new session handed out;
// after the restart requests succeed again within a second, and every
// change that was acknowledged before the crash is still there.
func TestRedisStoppedAndRestarted(t *testing.T) {
	// appendfsync always: an acknowledged write is on disk, so it survives
	// a SIGKILL.
	server := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	ins := newInstances(t, 2, clock, func(t testing.TB) *redis.Client { return server.NewClient(t) })

	const users = 6
	browsers := make([]*browser, users)
	for i := range browsers {
		browsers[i] = newBrowser(t, ins[i%2])
		code, _ := browsers[i].do(ins[i%2], http.MethodPost, "/login")
		require.Equal(t, http.StatusOK, code)
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
			w := &browser{t: t, name: b.name, cookie: b.cookie}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("k%d", n)
				code, body := w.do(ins[n%2], http.MethodPost, "/set/"+key+"/v")
				switch code {
				case http.StatusOK:
					mu.Lock()
					acked[i] = append(acked[i], key)
					mu.Unlock()
				case http.StatusServiceUnavailable:
					assert.Equal(t, http.StatusText(http.StatusServiceUnavailable)+"\n", body, "only the status text")
				default:
					assert.Failf(t, "unexpected status", "%d %q", code, body)
				}
				assert.Equal(t, b.cookie, w.cookie, "the session cookie never changes")
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	server.Stop(t)
	time.Sleep(100 * time.Millisecond)

	// Down: every kind of request gets 503 and no cookie.
	down := []struct{ method, path string }{
		{http.MethodGet, "/get/key"},
		{http.MethodPost, "/set/x/y"},
		{http.MethodPost, "/renew"},
		{http.MethodPost, "/destroy"},
		{http.MethodGet, "/size"},
	}
	for _, in := range ins {
		for _, r := range down {
			b := &browser{t: t, name: browsers[0].name, cookie: browsers[0].cookie}
			code, _ := b.do(in, r.method, r.path)
			assert.Equal(t, http.StatusServiceUnavailable, code, "%s %s while Redis is down", r.method, r.path)
			assert.Equal(t, browsers[0].cookie, b.cookie, "%s %s changed the cookie", r.method, r.path)
		}
		anon := newBrowser(t, in)
		code, _ := anon.do(in, http.MethodPost, "/login")
		assert.Equal(t, http.StatusServiceUnavailable, code, "login while Redis is down")
		assert.Empty(t, anon.cookie, "no session is handed out while Redis is down")
	}

	server.Restart(t)
	restarted := time.Now()
	var recovery time.Duration
	for _, in := range ins {
		require.Eventually(t, func() bool {
			b := &browser{t: t, name: browsers[0].name, cookie: browsers[0].cookie}
			code, _ := b.do(in, http.MethodGet, "/get/key")
			return code == http.StatusOK
		}, 3*time.Second, 10*time.Millisecond, "%s did not recover after the restart", in.name)
		recovery = time.Since(restarted)
	}
	// go-redis stops dialing after PoolSize failed dials and probes once a
	// second, so recovery takes up to about a second by the client's design
	// (measured 0.4 to 0.9 s); the slack is for a loaded CI machine.
	assert.Less(t, recovery, 1500*time.Millisecond, "every instance recovered only after %v", recovery)
	close(stop)
	wg.Wait()

	total := 0
	for i, b := range browsers {
		for _, key := range acked[i] {
			_, body := b.do(ins[1], http.MethodGet, "/get/"+key)
			assert.Equal(t, "v", body, "user %d lost acknowledged key %s", i, key)
			total++
		}
		_, body := b.do(ins[0], http.MethodGet, "/get/key")
		assert.Equal(t, "login", body)
	}
	t.Logf("%d acknowledged writes checked after the restart; recovered in %v", total, recovery)
	require.Positive(t, total, "the load wrote nothing before the stop")
}

// TestRedisDownErrorHandler checks what a custom ErrorHandler receives when
// Redis is down: an error that wraps store.ErrUnavailable and holds no
// session ID.
func TestRedisDownErrorHandler(t *testing.T) {
	server := redistest.Start(t)
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	ins := newInstances(t, 1, clock, func(t testing.TB) *redis.Client { return server.NewClient(t) })
	in := ins[0]
	var got []error
	var mu sync.Mutex
	opts := in.options
	opts.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
		http.Error(w, "try again", http.StatusServiceUnavailable)
	}
	m := session.NewManager(opts, nil, nil)
	t.Cleanup(func() { _ = m.Close() })
	in.m = m
	in.srv.Config.Handler = instanceRouter(m)

	b := newBrowser(t, in)
	code, _ := b.do(in, http.MethodPost, "/login")
	require.Equal(t, http.StatusOK, code)
	id := b.cookie
	server.Stop(t)

	code, body := b.do(in, http.MethodGet, "/get/key")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "try again\n", body)
	code, _ = newBrowser(t, in).do(in, http.MethodPost, "/login")
	assert.Equal(t, http.StatusServiceUnavailable, code)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2)
	for _, err := range got {
		assert.True(t, errors.Is(err, store.ErrUnavailable), "%v does not wrap store.ErrUnavailable", err)
		assert.NotContains(t, err.Error(), id)
	}
}
