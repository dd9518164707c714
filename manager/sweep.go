package manager

import (
	"context"
	"log/slog"
	"runtime"
	"time"
	"weak"

	"github.com/sessionkit/session/store"
)

// sweepBatch bounds how many sessions one store call claims, so that a large
// expiry wave is handled in steps rather than in one long store operation.
const sweepBatch = 256

// sweepMaxBatches bounds the store calls of one Sweep. A store that keeps
// returning full batches (one that hands the same sessions back, or a wave
// of expiries larger than this) cannot keep a Sweep, and the sweeper, going
// for ever: the next call goes on where it stopped. 4096 batches of 256
// sessions cover the default MaxSessions in one call.
const sweepMaxBatches = 4096

// sweepSlice is how long a sweep runs, by the wall clock, before it yields
// its processor to the goroutines waiting for one (runtime.Gosched), checked
// between two store batches. A sweep through an in-process store never
// blocks, and each batch is a fraction of a millisecond; yielding after
// every batch would make a wave of a million sessions thousands of yields,
// and under load each yield costs one request the rest of a slice (the
// request whose processor the sweep takes back waits for the sweep's next
// yield): more than one read in a hundred was slowed so. Slices of 2 ms make
// that wave about a thousand. Alone, a yield returns at once.
const sweepSlice = 2 * time.Millisecond

// Sweep destroys the sessions whose deadline has passed, firing Destroyed
// for each, and returns how many it destroyed. The sweeper calls it every
// Options.GcInterval seconds; tests and administrators may call it at will.
//
// One call destroys at most about a million sessions (4096 store batches of
// 256); the next call goes on from there. Between two batches it stops when
// ctx is done, returning ctx's error, and every 2 ms it yields its processor
// (see sweepSlice): alone a sweep runs at full speed, but while requests
// keep every processor busy it gets one about once per scheduler time slice,
// and takes several times as long as alone (see BENCHMARKS.md).
func (m *Manager) Sweep(ctx context.Context) (int, error) {
	return m.sweep(ctx, nil, nil)
}

// sweep is Sweep that also stops between batches once stop or gcStop is
// closed (nil: never), without an error: the sweeper was told to stop.
func (m *Manager) sweep(ctx context.Context, stop, gcStop <-chan struct{}) (total int, err error) {
	start := time.Now() // the duration metric is real time, whatever Options.Clock says
	defer func() {
		took := time.Since(start)
		m.counters.sweeps.observe(took)
		if total > 0 {
			// One line per sweep; a line per session (at debug level) would
			// flood the log with an expiry wave.
			m.log.Info("session: sweep destroyed expired sessions", "count", total, "took", took)
		}
	}()
	sliceFrom := start
	for range sweepMaxBatches {
		if time.Since(sliceFrom) >= sweepSlice {
			runtime.Gosched()
			sliceFrom = time.Now()
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
		if closed(stop) || closed(gcStop) {
			return total, nil
		}
		now := m.opts.Clock()
		batch, err := m.store.Sweep(ctx, now, sweepBatch)
		m.counters.swept.Add(uint64(len(batch)))
		m.fireSwept(batch, now, stop != nil)
		total += len(batch)
		if err != nil || len(batch) < sweepBatch {
			return total, err
		}
	}
	return total, nil
}

// fireSwept reports the end of each session of a swept batch. bySweeper
// says the manager's own sweeper is the caller: while it runs the handlers,
// a Close must not wait for it (see halter.halt).
func (m *Manager) fireSwept(batch []store.Entry, now time.Time, bySweeper bool) {
	if bySweeper {
		m.life.handlers.Add(1)
		defer m.life.handlers.Add(-1)
	}
	for _, e := range batch {
		m.destroyed(m.ended(e.ID, e.MaskedID, e.Record), expiryCause(e.Record, now), "", slog.LevelDebug)
	}
}

// closed reports whether c is closed; a nil c never is.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// runSweeper runs Sweep every interval until Close, the cleanup of an
// unreachable manager, or gcStop. A sweep in progress stops between two
// store batches when one of them comes, so that Close waits for one batch
// at most.
//
// It holds the manager only weakly, and nothing else that leads back to it
// (not the manager's store, event handler or logger): a manager that its
// program dropped without Close is collected, and its cleanup (see
// NewManager) stops this goroutine.
func runSweeper(wm weak.Pointer[Manager], h *halter, interval time.Duration, gcStop <-chan struct{}) {
	defer h.sweeperDone()
	// The sweep's store calls end with the sweeper, not only between
	// batches: a store call that waits on its backend (a Redis WAIT that no
	// replica answers, say) must not hold Close. A claim cut short this way
	// is settled like any lost reply (see the store's docs).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.stop:
		case <-gcStop:
		case <-ctx.Done():
		}
		cancel()
	}()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if !sweepIfReachable(ctx, wm, h.stop, gcStop) {
				return
			}
		case <-h.stop:
			return
		case <-gcStop:
			return
		}
	}
}

// sweepIfReachable sweeps the manager wm points to and reports whether
// there still was one. The strong pointer lives in this call only, so that
// between two ticks the sweeper keeps nothing alive.
func sweepIfReachable(ctx context.Context, wm weak.Pointer[Manager], stop, gcStop <-chan struct{}) bool {
	m := wm.Value()
	if m == nil {
		return false
	}
	if _, err := m.sweep(ctx, stop, gcStop); err != nil && ctx.Err() == nil {
		m.log.Warn("session: sweeping expired sessions failed; will retry", "err", err)
	}
	return true
}
