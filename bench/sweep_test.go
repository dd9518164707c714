package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/sweephold"
	"github.com/sessionkit/session/store"
)

// BenchmarkSweep measures what a sweep of a large wave of expired sessions
// does to the requests reading live ones at the same time, in sessionkit's
// memory store: GOMAXPROCS goroutines read live sessions through the Gin
// app, first for a while with nothing to sweep ("idle"), then while
// Manager.Sweep removes the expired wave ("sweep"). It reports each phase's
// read latency percentiles and throughput; the sweep's holds of a shard's
// write lock, timed from inside the store by the wall clock (see
// internal/sweephold): the longest, how many, how many over 5 ms; and how
// long the longest store call of the sweep and the longest read's store
// Load took (see timedStore). Under -short the wave is 20,000 expired and
// 2,000 live sessions instead of 1,000,000 and 100,000.
func BenchmarkSweep(b *testing.B) {
	expired, live, idleFor := 1_000_000, 100_000, 2*time.Second
	if testing.Short() {
		expired, live, idleFor = 20_000, 2_000, 100*time.Millisecond
	}
	b.Run(fmt.Sprintf("sessionkit-memory-%d-expired-%d-live", expired, live), func(b *testing.B) {
		var r sweepResult
		for range b.N {
			r = sweepUnderReads(b, expired, live, idleFor)
		}
		r.report(b)
	})
}

// longHold is the performance target's bound on a lock hold: a hold longer
// than this is counted (holds-over-5ms).
const longHold = 5 * time.Millisecond

// sweepResult is what one sweepUnderReads run measured.
type sweepResult struct {
	idle, sweep    readStats
	sweepTook      time.Duration
	longestBatch   time.Duration // the longest store Sweep call
	longestHold    time.Duration // the longest hold of a shard's write lock by the sweep
	holds          int64         // how many holds the sweep made
	longHolds      int64         // how many of them took longer than longHold
	longestLoadIdl time.Duration // the longest store Load while nothing was swept
	longestLoadSwp time.Duration // the longest store Load during the sweep
}

func (r sweepResult) report(b *testing.B) {
	b.Helper()
	b.ReportMetric(float64(r.idle.p99.Nanoseconds()), "idle-p99-ns")
	b.ReportMetric(float64(r.sweep.p99.Nanoseconds()), "sweep-p99-ns")
	b.ReportMetric(float64(r.sweep.p99)/float64(r.idle.p99), "p99-x")
	b.ReportMetric(float64(r.idle.p999.Nanoseconds()), "idle-p99.9-ns")
	b.ReportMetric(float64(r.sweep.p999.Nanoseconds()), "sweep-p99.9-ns")
	b.ReportMetric(float64(r.idle.max.Nanoseconds()), "idle-max-ns")
	b.ReportMetric(float64(r.sweep.max.Nanoseconds()), "sweep-max-ns")
	b.ReportMetric(r.idle.perSecond, "idle-reads/s")
	b.ReportMetric(r.sweep.perSecond, "sweep-reads/s")
	b.ReportMetric(float64(r.sweepTook.Milliseconds()), "sweep-ms")
	b.ReportMetric(float64(r.longestBatch.Nanoseconds()), "max-batch-ns")
	b.ReportMetric(float64(r.longestHold.Nanoseconds()), "max-hold-ns")
	b.ReportMetric(float64(r.holds), "holds")
	b.ReportMetric(float64(r.longHolds), "holds-over-5ms")
	b.ReportMetric(float64(r.longestLoadIdl.Nanoseconds()), "idle-max-load-ns")
	b.ReportMetric(float64(r.longestLoadSwp.Nanoseconds()), "sweep-max-load-ns")
}

// sweepUnderReads starts expired sessions, lets them expire while live ones
// start, and measures reads of the live ones for idleFor, then during a
// sweep that removes the expired ones.
func sweepUnderReads(b *testing.B, expired, live int, idleFor time.Duration) sweepResult {
	b.Helper()
	clock := &fakeClock{}
	clock.set(time.Unix(1_800_000_000, 0))
	st := &timedStore{Store: store.NewMemory()}
	defer st.Close()
	opts := sessionkitOptions()
	opts.Store = st
	opts.MaxInactiveInterval = 60
	opts.GcStopChan = stoppedSweeper // the benchmark sweeps when it means to
	opts.Clock = clock.now
	m := session.NewManager(opts, nil, nil)
	defer m.Close()
	h := sessionkitApp(m, nil)

	loginTimes(b, h, expired)
	clock.advance(50 * time.Second)
	reads := make([]*http.Request, live)
	for i := range reads {
		reads[i] = requestWith(pathPrivate, login(b, h))
	}
	// The first wave is now idle for 70 s, past its 60 s timeout; the live
	// sessions for 20 s, and every read touches them again.
	clock.advance(20 * time.Second)
	runtime.GC()

	var r sweepResult
	st.longestLoad.Store(0)
	r.idle = readWhile(b, h, reads, func() { time.Sleep(idleFor) })
	r.longestLoadIdl = time.Duration(st.longestLoad.Swap(0))
	if st.sweeps.Load() != 0 {
		b.Fatal("a sweep ran while none was due")
	}
	var swept int
	var sweepErr error
	var longestHold, holds, longHolds atomic.Int64
	stopObserving := sweephold.Observe(func(held time.Duration) {
		storeMax(&longestHold, held)
		holds.Add(1)
		if held > longHold {
			longHolds.Add(1)
		}
	})
	r.sweep = readWhile(b, h, reads, func() {
		start := time.Now()
		swept, sweepErr = m.Sweep(context.Background())
		r.sweepTook = time.Since(start)
	})
	stopObserving()
	r.longestHold, r.holds, r.longHolds = time.Duration(longestHold.Load()), holds.Load(), longHolds.Load()
	r.longestLoadSwp = time.Duration(st.longestLoad.Load())
	r.longestBatch = time.Duration(st.longestSweep.Load())
	if sweepErr != nil || swept != expired {
		b.Fatalf("Sweep = %d, %v; want %d expired sessions destroyed", swept, sweepErr, expired)
	}
	if n := m.GetSessionSize(); n != live {
		b.Fatalf("%d sessions left after the sweep; want the %d live ones", n, live)
	}
	return r
}

// readStats summarises the latencies of the reads of one phase.
type readStats struct {
	p99, p999, max time.Duration
	perSecond      float64
}

// readWhile reads random requests of reads through h from GOMAXPROCS
// goroutines until during returns, and summarises their latencies.
func readWhile(b *testing.B, h http.Handler, reads []*http.Request, during func()) readStats {
	b.Helper()
	var (
		stop    atomic.Bool
		failed  atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		latency []time.Duration
	)
	readers := runtime.GOMAXPROCS(0)
	start := time.Now()
	for range readers {
		wg.Go(func() {
			w := newDiscardWriter()
			own := make([]time.Duration, 0, 1<<16)
			for !stop.Load() {
				req := reads[rand.IntN(len(reads))]
				fresh := *req
				w.reset()
				t0 := time.Now()
				h.ServeHTTP(w, &fresh)
				own = append(own, time.Since(t0))
				if w.code != http.StatusOK {
					failed.Add(1)
				}
			}
			mu.Lock()
			latency = append(latency, own...)
			mu.Unlock()
		})
	}
	during()
	stop.Store(true)
	took := time.Since(start)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d reads of live sessions were not answered 200", n, len(latency))
	}
	if len(latency) == 0 {
		b.Fatal("no read completed")
	}
	slices.Sort(latency)
	at := func(q float64) time.Duration { return latency[int(q*float64(len(latency)-1))] }
	return readStats{
		p99:       at(0.99),
		p999:      at(0.999),
		max:       latency[len(latency)-1],
		perSecond: float64(len(latency)) / took.Seconds(),
	}
}

// timedStore wraps a store and keeps the longest duration of its Load and
// Sweep calls. The longest Load, which waits for its shard's lock, is what
// a request actually waited (lock wait plus any time the reader was not
// scheduled). The longest Sweep call bounds no lock hold usefully: a call
// holds one shard lock at a time, but spans the yields between holds; the
// holds themselves are timed from inside the store (see sweepUnderReads).
//
// Wrapping the store has one side effect on the manager: it no longer
// recognises the store as in-process, and gives each write a detached
// context with a timeout. The sweep and the reads measured here write
// nothing, so their figures are the memory store's own.
type timedStore struct {
	store.Store
	longestLoad  atomic.Int64
	longestSweep atomic.Int64
	sweeps       atomic.Int64
}

func (s *timedStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	start := time.Now()
	rec, found, err := s.Store.Load(ctx, id, now, touch)
	storeMax(&s.longestLoad, time.Since(start))
	return rec, found, err
}

func (s *timedStore) Sweep(ctx context.Context, now time.Time, limit int) ([]store.Entry, error) {
	s.sweeps.Add(1)
	start := time.Now()
	expired, err := s.Store.Sweep(ctx, now, limit)
	storeMax(&s.longestSweep, time.Since(start))
	return expired, err
}

// storeMax raises v to d when d is longer.
func storeMax(v *atomic.Int64, d time.Duration) {
	for {
		old := v.Load()
		if int64(d) <= old || v.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// stoppedSweeper is a closed channel: a manager given it as GcStopChan
// never sweeps by itself.
var stoppedSweeper = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// fakeClock is a clock the benchmark moves, so that sessions expire without
// waiting.
type fakeClock struct{ unixNano atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.unixNano.Load()) }
func (c *fakeClock) set(t time.Time)         { c.unixNano.Store(t.UnixNano()) }
func (c *fakeClock) advance(d time.Duration) { c.unixNano.Add(int64(d)) }
