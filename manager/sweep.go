package manager

import (
	"context"
	"log/slog"
	"time"
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

// Sweep destroys the sessions whose deadline has passed, firing Destroyed
// for each, and returns how many it destroyed. The sweeper calls it every
// Options.GcInterval seconds; tests and administrators may call it at will.
//
// One call destroys at most about a million sessions (4096 store batches of
// 256); the next call goes on from there. Between two batches it stops when
// ctx is done, returning ctx's error.
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
	for range sweepMaxBatches {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		if closed(stop) || closed(gcStop) {
			return total, nil
		}
		now := m.opts.Clock()
		batch, err := m.store.Sweep(ctx, now, sweepBatch)
		m.counters.swept.Add(uint64(len(batch)))
		for _, e := range batch {
			m.destroyed(m.ended(e.ID, e.MaskedID, e.Record), expiryCause(e.Record, now), "", slog.LevelDebug)
		}
		total += len(batch)
		if err != nil || len(batch) < sweepBatch {
			return total, err
		}
	}
	return total, nil
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

// sweepEvery runs Sweep every interval until Close or stop. A sweep in
// progress stops between two store batches when either comes, so that Close
// waits for one batch at most.
func (m *Manager) sweepEvery(interval time.Duration, stop <-chan struct{}) {
	defer close(m.sweeping)
	// The sweep's store calls end with the sweeper, not only between
	// batches: a store call that waits on its backend (a Redis WAIT that no
	// replica answers, say) must not hold Close. A claim cut short this way
	// is settled like any lost reply (see the store's docs).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stop:
		case <-stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if _, err := m.sweep(ctx, m.stop, stop); err != nil && ctx.Err() == nil {
				m.log.Warn("session: sweeping expired sessions failed; will retry", "err", err)
			}
		case <-m.stop:
			return
		case <-stop:
			return
		}
	}
}
