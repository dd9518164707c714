package e2e_test

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// The stress test runs for a bounded number of operations AND a bounded
// wall time, whichever ends first, so that it stays short under -race on a
// slow CI machine; the flags lengthen it for a soak run.
var (
	stressSeed = flag.Uint64("stress.seed", 0, "seed of the stress test, to replay a failure (0: a new one; also $"+stressSeedEnv+")")
	stressTime = flag.Duration("stress.time", 3*time.Second, "wall time bound of each stress run")
	stressOps  = flag.Int("stress.ops", 2000, "operations per worker in each stress run")
)

// stressSeedEnv replays a seed where passing a flag is awkward (CI).
const stressSeedEnv = "SESSION_STRESS_SEED"

// Timeouts of the stress managers, in seconds: short enough that the clock
// moves cross them often.
const (
	stressIdle     = 60
	stressMaxAge   = 300
	stressWorkers  = 8
	stressBrowsers = 8
)

// TestStressTwoManagersOneStore drives two managers sharing one store, one
// served through the net/http middleware and one through Gin, with random
// concurrent logins, renewals, logouts, invalidations, writes, reads,
// destroys by ID, sweeps and clock moves (forward across the idle and
// absolute deadlines, and small steps back), from browsers whose cookie
// several workers share. At the end it moves the clock past every deadline
// and sweeps until nothing is left, then checks that every session created
// was destroyed exactly once, under its last ID, and that the store is
// empty. A failure logs its seed: replay it with -stress.seed.
func TestStressTwoManagersOneStore(t *testing.T) {
	seed := stressSeedFor(t)
	t.Run("memory", func(t *testing.T) {
		shared := store.NewMemory()
		t.Cleanup(func() { _ = shared.Close() })
		rig := newStressRig(t, [2]store.Store{shared, shared}, testkit.NewClock())
		rig.run(t, seed)
		rig.checkEnd(t)
	})
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		// Private: at the end, the whole deployment must be empty but for
		// markers on their way out. The two runs share it, since starting a
		// Cluster costs seconds.
		d := tp.Start(t)
		t.Run("redis", func(t *testing.T) {
			prefix := redistest.Prefix()
			// One client per manager, as two processes would have.
			stores := [2]store.Store{
				redisstore.New(newDeploymentClient(t, d), redisstore.WithPrefix(prefix)),
				redisstore.New(newDeploymentClient(t, d), redisstore.WithPrefix(prefix)),
			}
			// Redis expires keys by the real clock: start the fake one at the
			// real time, so that what it calls live Redis keeps.
			rig := newStressRig(t, stores, testkit.NewClockAt(time.Now().Truncate(time.Millisecond)))
			rig.run(t, seed)
			rig.checkEnd(t)
			checkRedisEmpty(t, d)
		})
		// The same over connections that now and then lose the reply of a
		// command Redis ran, as a connection reset does: requests fail with
		// 503, but no event may be lost or invented, and nothing may be left.
		t.Run("redis with lost replies", func(t *testing.T) {
			prefix := redistest.Prefix()
			rig := &stressRig{tolerateUnavailable: true, ledger: newLedger()}
			var stores [2]store.Store
			var losers []*randomLoser
			for i := range stores {
				loser := &randomLoser{rng: rand.New(rand.NewPCG(seed, uint64(100+i))), oneIn: 200, ledger: rig.ledger}
				loser.on.Store(true)
				losers = append(losers, loser)
				c := newDeploymentClient(t, d)
				c.AddHook(loser)
				stores[i] = redisstore.New(c, redisstore.WithPrefix(prefix))
			}
			rig.init(t, stores, testkit.NewClockAt(time.Now().Truncate(time.Millisecond)))
			rig.run(t, seed)
			lost := 0
			for _, l := range losers {
				l.on.Store(false) // the operator fixed the network
				lost += l.losses()
			}
			t.Logf("%d replies lost", lost)
			rig.checkEnd(t)
			checkRedisEmpty(t, d)
		})
	})
}

// checkRedisEmpty checks that a private Redis holds no session state: no
// record, no index entry, no former key. What is left must be the markers
// that make writes safe to retry, each on its way out within five minutes,
// and the store's layout key.
func checkRedisEmpty(t *testing.T, d redistest.Deployment) {
	t.Helper()
	ctx := context.Background()
	admin := newDeploymentClient(t, d)
	keys := deploymentKeys(t, d)
	var left []string
	for _, k := range keys {
		if strings.HasSuffix(k, "}:layout") {
			continue
		}
		if isRetryMarker(k) {
			ttl, err := admin.PTTL(ctx, k).Result()
			require.NoError(t, err)
			if ttl > 0 && ttl <= 5*time.Minute {
				continue
			}
		}
		left = append(left, k)
	}
	if len(left) > 0 {
		t.Errorf("Redis holds %d keys after every session ended: %v", len(left), firstOf(left, 10))
	}
}

// isRetryMarker reports whether key is one of the markers the Redis store
// leaves for a call to be retried (see store/redisstore's doc).
func isRetryMarker(key string) bool {
	for _, kind := range []string{"}:claim:", "}:create:", "}:renew:", "}:renewed:"} {
		if strings.Contains(key, kind) {
			return true
		}
	}
	return false
}

// stressSeedFor returns the seed of this run and logs how to replay it.
func stressSeedFor(t *testing.T) uint64 {
	seed := *stressSeed
	if v := os.Getenv(stressSeedEnv); seed == 0 && v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "%s", stressSeedEnv)
	}
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	t.Logf("stress seed %d (replay: go test -race ./internal/e2e -run '^%s$' -stress.seed=%d)", seed, t.Name(), seed)
	return seed
}

// stressRig is two managers sharing a store, their apps, a shared clock and
// the browsers that use them.
type stressRig struct {
	clock  *testkit.Clock
	ledger *ledger
	// tolerateUnavailable accepts store errors that wrap
	// store.ErrUnavailable, when the test breaks connections on purpose.
	tolerateUnavailable bool
	stores              [2]store.Store
	managers            [2]*manager.Manager
	apps                [2]http.Handler
	browsers            []*browser
	logs                *testkit.Buffer
	stats               stressStats
}

func newStressRig(t *testing.T, stores [2]store.Store, clock *testkit.Clock) *stressRig {
	t.Helper()
	rig := &stressRig{}
	rig.init(t, stores, clock)
	return rig
}

// init builds the rig's managers and browsers. A ledger set beforehand is
// kept, so that fault hooks made before the stores can report to it.
func (rig *stressRig) init(t *testing.T, stores [2]store.Store, clock *testkit.Clock) {
	t.Helper()
	rig.clock, rig.stores, rig.logs = clock, stores, &testkit.Buffer{}
	if rig.ledger == nil {
		rig.ledger = newLedger()
	}
	rig.stats.counts = map[string]int{}
	logger := slog.New(slog.NewTextHandler(rig.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for i := range rig.managers {
		m := manager.NewManager(manager.Options{
			MaxInactiveInterval: stressIdle,
			MaxAge:              stressMaxAge,
			GcStopChan:          testkit.StoppedSweeper(), // the test sweeps by itself
			Clock:               clock.Now,
			Logger:              logger,
			Store:               &linkingStore{Store: stores[i], ledger: rig.ledger},
		}, nil, rig.ledger.handle)
		t.Cleanup(func() { _ = m.Close() })
		rig.managers[i] = m
	}
	rig.apps = [2]http.Handler{netHTTPApp(rig.managers[0]), ginApp(rig.managers[1], nil)}
	for range stressBrowsers {
		rig.browsers = append(rig.browsers, &browser{name: cookieName})
	}
}

// unexpected reports whether err is an error the run must not see.
func (rig *stressRig) unexpected(err error) bool {
	if err == nil || errors.Is(err, manager.ErrSessionGone) || errors.Is(err, manager.ErrSessionRenewed) {
		return false
	}
	return !rig.tolerateUnavailable || !errors.Is(err, store.ErrUnavailable)
}

// run lets the workers loose until each has done its operations or the
// wall time bound passed.
func (rig *stressRig) run(t *testing.T, seed uint64) {
	deadline := time.Now().Add(*stressTime)
	var wg sync.WaitGroup
	for w := range stressWorkers {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Go(func() {
			for i := 0; i < *stressOps && time.Now().Before(deadline); i++ {
				rig.step(t, rng, fmt.Sprintf("w%d-%d", w, i))
			}
		})
	}
	wg.Wait()
	created, destroyed := rig.ledger.totals()
	t.Logf("during the run: %d created, %d destroyed; operations: %s", created, destroyed, rig.stats.String())
}

// step does one random operation. tag is unique to it, for values.
func (rig *stressRig) step(t *testing.T, rng *rand.Rand, tag string) {
	b := rig.browsers[rng.IntN(len(rig.browsers))]
	k := rng.IntN(len(rig.managers))
	app, m := rig.apps[k], rig.managers[k]
	key := []string{"a", "b", "c"}[rng.IntN(3)]
	value := tag
	if rng.IntN(5) == 0 {
		value = "" // the app deletes the key
	}
	request := func(method, path string) {
		rec := b.send(app, method, path)
		rig.stats.add(fmt.Sprintf("%s %d", strings.SplitN(path, "?", 2)[0], rec.Code))
	}
	setQuery := "?k=" + key + "&v=" + value
	switch p := rng.IntN(100); {
	case p < 12:
		request(http.MethodPost, "/login?user="+tag)
	case p < 22:
		request(http.MethodPost, "/renew")
	case p < 27:
		request(http.MethodPost, "/logout")
	case p < 31:
		request(http.MethodPost, "/invalidate")
	case p < 48:
		request(http.MethodPost, "/set"+setQuery)
	case p < 53:
		request(http.MethodPost, "/set-renew"+setQuery)
	case p < 58:
		request(http.MethodPost, "/renew-set"+setQuery)
	case p < 72:
		request(http.MethodGet, "/get?k="+key)
	case p < 76:
		err := m.DestroySessionById(b.cookie.load())
		if rig.unexpected(err) {
			t.Errorf("DestroySessionById: %v", err)
		}
		rig.stats.add("admin destroy")
	case p < 80:
		if s := m.GetSessionById(b.cookie.load()); s != nil {
			err := s.Set(key, "admin-"+tag)
			if rig.unexpected(err) {
				t.Errorf("Set on a session found by ID: %v", err)
			}
		}
		rig.stats.add("admin set")
	case p < 86:
		if n := m.GetSessionSize(); n < 0 {
			t.Errorf("GetSessionSize = %d", n)
		}
		rig.stats.add("size")
	case p < 94:
		if _, err := m.Sweep(context.Background()); rig.unexpected(err) {
			t.Errorf("Sweep: %v", err)
		}
		rig.stats.add("sweep")
	default:
		rig.clock.Step(clockMove(rng))
		rig.stats.add("clock")
	}
}

// clockMove is a random clock step: mostly a few seconds forward, sometimes
// past the idle or the absolute deadline of every session, and sometimes a
// few seconds back.
func clockMove(rng *rand.Rand) time.Duration {
	second := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Second }
	switch p := rng.IntN(20); {
	case p < 4:
		return -second(1, 10)
	case p < 16:
		return second(1, 10)
	case p < 19:
		return second(stressIdle, stressIdle+30)
	default:
		return second(stressMaxAge, stressMaxAge+60)
	}
}

// checkEnd ends every session (see endAll) and checks the events and the
// store.
func (rig *stressRig) checkEnd(t *testing.T) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("warnings and errors the managers logged (first lines):\n%s", firstLines(rig.logs.String(), 30))
		}
	}()
	endAll(t, rig.clock, rig.ledger, rig.managers[:]...)
	for i, s := range rig.stores {
		n, err := s.Count(context.Background())
		require.NoError(t, err)
		assert.Zero(t, n, "store of manager %d counts sessions after every deadline passed and the sweeps found nothing", i)
	}
}

// endAll moves the clock past every deadline, sweeps with every manager
// until nothing is left, and checks that each session created was destroyed
// exactly once, under its last ID.
func endAll(t *testing.T, clock *testkit.Clock, l *ledger, managers ...*manager.Manager) {
	t.Helper()
	clock.Step((stressMaxAge + stressIdle) * time.Second * 2)
	for round := 0; ; round++ {
		swept := 0
		for _, m := range managers {
			n, err := m.Sweep(context.Background())
			require.NoError(t, err, "final sweep")
			swept += n
		}
		if swept == 0 {
			break
		}
		require.Less(t, round, 100, "the final sweeps keep finding sessions")
	}
	created, destroyed := l.totals()
	assert.Equal(t, created, destroyed, "Created and Destroyed events")
	if v := l.violations(); len(v) > 0 {
		t.Errorf("%d violations of \"Destroyed exactly once per session\":\n%s", len(v), strings.Join(firstOf(v, 20), "\n"))
	}
}

// stressStats counts operations by kind and answer, for the test log.
type stressStats struct {
	mu     sync.Mutex
	counts map[string]int
}

func (s *stressStats) add(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[what]++
}

func (s *stressStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.counts))
	for k := range s.counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %-20s %6d", k, s.counts[k])
	}
	return b.String()
}

func firstOf(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}

func firstLines(text string, n int) string {
	return strings.Join(firstOf(strings.Split(strings.TrimSpace(text), "\n"), n), "\n")
}
