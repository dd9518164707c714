package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store/redisstore"
)

// failoverBound bounds every wait for a failover and for the apps to find
// the new master. It is generous on purpose: it only stops a test that
// would otherwise hang, and says nothing about how fast a failover is.
const failoverBound = time.Minute

// TestFailoverUnderLoad kills the master that holds the sessions while two
// app instances (one through the net/http middleware, one through Gin)
// serve a steady load of writes and reads, in a Sentinel set and in a
// Cluster (there: the master with a replica that holds most of the
// sessions). While the replica takes over, every request that cannot reach
// the store fails closed with a 5xx, never a 401 (a session that looks
// gone) nor a changed cookie; once it has taken over, every session works
// again through the same apps and clients, without a restart; and every
// write answered 200 is still there.
//
// An asynchronous replica can lose the writes of the last moment before a
// crash. Without replica acknowledgements the master is therefore killed
// once its replica holds every write it acknowledged (see
// redistest.Server.KillInSync), which shows the failover itself. With
// redisstore.WithReplicaAcks the replica first hangs and loses its link,
// so that the master is ahead of it when it crashes, and still no write
// answered 200 may be lost (without the option, writes answered 200 after
// the link broke are lost). A write then needs a replica, so the killed
// master is revived (it rejoins as a replica) before the sessions must
// work again.
func TestFailoverUnderLoad(t *testing.T) {
	tests := []struct {
		name string
		tp   redistest.Topology
		acks bool // redisstore.WithReplicaAcks, and a crash at any moment
	}{
		{"sentinel: the master killed", redistest.SentinelSet, false},
		{"cluster: a master with a replica killed", redistest.ClusterSet, false},
		{"sentinel with replica acks: the master crashes", redistest.SentinelSet, true},
		{"cluster with replica acks: a master with a replica crashes", redistest.ClusterSet, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testFailoverUnderLoad(t, tc.tp, tc.acks)
		})
	}
}

func testFailoverUnderLoad(t *testing.T, tp redistest.Topology, acks bool) {
	d := tp.Start(t)
	prefix := redistest.Prefix()
	opts := []redisstore.Option{redisstore.WithPrefix(prefix)}
	if acks {
		opts = append(opts, redisstore.WithReplicaAcks(1, time.Second))
	}
	logs := &testkit.Buffer{}
	var apps []http.Handler
	for i := range 2 {
		c := d.NewUniversalClient()
		t.Cleanup(func() { _ = c.Close() })
		m := manager.NewManager(manager.Options{
			Store:  redisstore.New(c, opts...),
			Logger: slog.New(slog.NewTextHandler(logs, nil)),
		}, nil, nil)
		t.Cleanup(func() { _ = m.Close() })
		if i == 0 {
			apps = append(apps, netHTTPApp(m))
		} else {
			apps = append(apps, ginApp(m, nil))
		}
	}

	const users = 12
	var writers []*failoverWriter
	for i := range users {
		w := &failoverWriter{b: &browser{name: seam.DefaultCookieName}, apps: apps, user: fmt.Sprintf("user%d", i)}
		rec := w.b.send(apps[i%2], http.MethodPost, "/login?user="+w.user)
		require.Equal(t, http.StatusOK, rec.Code, body(rec))
		w.cookie = w.b.cookie.load()
		require.NotEmpty(t, w.cookie)
		writers = append(writers, w)
	}

	ctx, cancel := context.WithTimeout(t.Context(), failoverBound)
	defer cancel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Go(func() { w.run(t, stop) })
	}
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()

	// Let every writer land writes before the crash.
	require.NoError(t, waitFor(ctx, func() bool {
		for _, w := range writers {
			if w.ackedCount() < 3 {
				return false
			}
		}
		return true
	}), "writes before the crash")

	victim := sessionMaster(t, ctx, d, prefix)
	if acks {
		replicas, err := redistest.ReplicasOf(ctx, d, victim)
		require.NoError(t, err)
		require.NotEmpty(t, replicas)
		for _, r := range replicas {
			require.NoError(t, r.Pause())
		}
		// The master drops its links to the hung replicas, which cannot
		// come back: its later writes reach no replica.
		admin := victim.NewUniversalClient()
		require.NoError(t, admin.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err())
		_ = admin.Close()
		// Let requests complete meanwhile: without acks they would be
		// answered 200 from the master alone.
		before := completed(writers)
		require.NoError(t, waitFor(ctx, func() bool { return completed(writers) >= before+2*len(writers) }))
		victim.Kill()
		for _, r := range replicas {
			require.NoError(t, r.Resume())
		}
	} else {
		require.NoError(t, victim.KillInSync(ctx))
	}
	t.Logf("killed master %s", victim.Addr)
	require.NoError(t, d.Wait(ctx), "a replica takes over")
	masters, err := d.Masters(ctx)
	require.NoError(t, err)
	require.NotContains(t, masters, victim, "the killed master still serves")
	if acks {
		if _, cluster := d.(*redistest.Cluster); cluster {
			require.NoError(t, victim.Revive())
		} else {
			require.NoError(t, victim.ReviveAsReplicaOf(masters[0]))
		}
		require.NoError(t, d.Wait(ctx), "the killed master rejoins as a replica")
	}

	// Every session works again through the same apps: each writer gets a
	// write acknowledged through each app after the new master took over.
	for _, w := range writers {
		w.markPromoted()
	}
	require.NoError(t, waitFor(ctx, func() bool {
		for _, w := range writers {
			if !w.ackedSincePromotion() {
				return false
			}
		}
		return true
	}), "every session works again after the failover")
	stopLoad()

	failed := 0
	for _, w := range writers {
		failed += int(w.failed.Load())
	}
	t.Logf("%d requests failed closed during the failover", failed)
	require.Positive(t, failed, "no request met the failover: the test killed the wrong master")

	// No write answered 200 was lost: every acknowledged key reads back,
	// on both apps. A read may still fail closed (a go-redis Cluster client
	// learns the new slot map lazily, after its first failure); it is
	// tried again, since a 5xx loses nothing.
	read := func(b *browser, app http.Handler, key string) *httptest.ResponseRecorder {
		var rec *httptest.ResponseRecorder
		require.NoError(t, waitFor(ctx, func() bool {
			rec = b.send(app, http.MethodGet, "/get?k="+key)
			return rec.Code < 500
		}), "reading %s", key)
		return rec
	}
	for _, w := range writers {
		b := &browser{name: w.b.name}
		b.cookie.store(w.cookie)
		for i, key := range w.ackedKeys() {
			rec := read(b, apps[i%2], key)
			require.Equal(t, http.StatusOK, rec.Code, "%s reading %s: %s", w.user, key, body(rec))
			assert.Equal(t, "v-"+key, body(rec), "%s: acknowledged write of %s", w.user, key)
		}
		rec := read(b, apps[0], "user")
		assert.Equal(t, w.user, body(rec), "the session is still %s's", w.user)
	}
	assert.NotContains(t, logs.String(), "panic")
}

// failoverWriter is one user writing a new key per request, alternating
// between the apps, and reading its user name back in between.
type failoverWriter struct {
	b      *browser
	apps   []http.Handler
	user   string
	cookie string

	failed   atomic.Int64
	promoted atomic.Bool

	mu         sync.Mutex
	acked      []string
	ackedAfter map[int]bool // the apps that acknowledged a write after markPromoted
}

func (w *failoverWriter) run(t *testing.T, stop <-chan struct{}) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		i := n % len(w.apps)
		app := w.apps[i]
		if n%3 == 2 {
			rec := w.b.send(app, http.MethodGet, "/get?k=user")
			if w.check(t, rec, "read") {
				assert.Equal(t, w.user, body(rec), "a read answered 200 returned another value")
			}
			continue
		}
		key := fmt.Sprintf("k%d", n)
		promoted := w.promoted.Load()
		rec := w.b.send(app, http.MethodPost, "/set?k="+key+"&v=v-"+key)
		if w.check(t, rec, "write") {
			w.mu.Lock()
			w.acked = append(w.acked, key)
			if promoted {
				if w.ackedAfter == nil {
					w.ackedAfter = map[int]bool{}
				}
				w.ackedAfter[i] = true
			}
			w.mu.Unlock()
		}
	}
}

// check checks that a response is a 200 or fails closed, and that the
// cookie is unchanged; it reports whether the answer was 200.
func (w *failoverWriter) check(t *testing.T, rec *httptest.ResponseRecorder, what string) bool {
	if got := w.b.cookie.load(); got != w.cookie {
		assert.Failf(t, "the session cookie changed", "%s of %s: status %d", what, w.user, rec.Code)
		w.b.cookie.store(w.cookie)
	}
	switch {
	case rec.Code == http.StatusOK:
		return true
	case rec.Code >= 500:
		w.failed.Add(1)
		return false
	default:
		assert.Failf(t, "a request neither succeeded nor failed closed", "%s of %s: %d %s", what, w.user, rec.Code, body(rec))
		return false
	}
}

// completed returns how many writes of writers were answered, 200 or not.
func completed(writers []*failoverWriter) int {
	n := 0
	for _, w := range writers {
		n += w.ackedCount() + int(w.failed.Load())
	}
	return n
}

func (w *failoverWriter) ackedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *failoverWriter) ackedKeys() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...)
}

func (w *failoverWriter) markPromoted() { w.promoted.Store(true) }

func (w *failoverWriter) ackedSincePromotion() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ackedAfter) == len(w.apps)
}

// sessionMaster returns the master that holds the most session records of
// prefix (Redis hashes; see store/redisstore's layout), so that killing it
// hits the load.
func sessionMaster(t *testing.T, ctx context.Context, d redistest.Deployment, prefix string) *redistest.Server {
	t.Helper()
	perMaster := recordsPerMaster(t, ctx, d, prefix)
	var best *redistest.Server
	for m, n := range perMaster {
		if best == nil || n > perMaster[best] {
			best = m
		}
	}
	require.NotNil(t, best)
	require.Positive(t, perMaster[best], "no master holds a session record")
	return best
}

// recordsPerMaster counts, on each master, the session records of prefix:
// the Redis hashes named "{<tag>}:s:<fingerprint>" whose tag holds it (see
// store/redisstore's layout). A test may scan; the store never
// does.
func recordsPerMaster(t *testing.T, ctx context.Context, d redistest.Deployment, prefix string) map[*redistest.Server]int {
	t.Helper()
	masters, err := d.Masters(ctx)
	require.NoError(t, err)
	out := map[*redistest.Server]int{}
	for _, m := range masters {
		c := m.NewUniversalClient()
		n := 0
		iter := c.ScanType(ctx, 0, "*"+prefix+"*:s:*", 1000, "hash").Iterator()
		for iter.Next(ctx) {
			n++
		}
		require.NoError(t, iter.Err())
		_ = c.Close()
		out[m] = n
	}
	return out
}

// waitFor polls done until it holds or ctx ends.
func waitFor(ctx context.Context, done func() bool) error {
	for !done() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
