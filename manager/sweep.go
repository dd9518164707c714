package manager

import (
	"context"
	"time"
)

// sweepBatch bounds how many sessions one store call claims, so that a large
// expiry wave is handled in steps rather than in one long store operation.
const sweepBatch = 256

// Sweep destroys every session whose deadline has passed, firing Destroyed
// for each, and returns how many it destroyed. The sweeper calls it every
// Options.GcInterval seconds; tests and administrators may call it at will.
func (m *Manager) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		batch, err := m.store.Sweep(ctx, m.opts.Clock(), sweepBatch)
		for _, e := range batch {
			m.fire(m.ended(e.ID, e.MaskedID, e.Record), Destroyed)
		}
		total += len(batch)
		if err != nil || len(batch) < sweepBatch {
			return total, err
		}
	}
}

// sweepEvery runs Sweep every interval until Close or stop.
func (m *Manager) sweepEvery(interval time.Duration, stop <-chan struct{}) {
	defer close(m.sweeping)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if _, err := m.Sweep(context.Background()); err != nil {
				m.log.Warn("session: sweeping expired sessions failed; will retry", "err", err)
			}
		case <-m.stop:
			return
		case <-stop:
			return
		}
	}
}
