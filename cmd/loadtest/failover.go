package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sessionkit/session/internal/redistest"
)

// replicationSlack is how long before the kill a write may have been
// acknowledged and still not have reached the replica: asynchronous
// replication on loopback trails by far less.
const replicationSlack = time.Second

// failover is a master killed on purpose during the run (-failover). From
// the kill until the deployment has recovered, plus a grace for the
// clients to find the new master, failed requests are expected: they are
// counted apart and do not fail the run. Writes acknowledged in that window
// (or just before it) and lost are counted apart too, since asynchronous
// replication may lose them; they still fail the run.
type failover struct {
	at    time.Duration // into the run
	grace time.Duration

	killedAt    atomic.Int64 // Unix nanoseconds; 0 until the kill
	tookOver    atomic.Int64 // Unix nanoseconds; 0 until a replica took over
	recoveredAt atomic.Int64 // Unix nanoseconds; 0 until recovered
	// revive: start the killed master again once a replica took over, and
	// count the failover as recovered only when it has rejoined as a
	// replica.
	revive bool
	victim string
	err    error // why the kill or the recovery failed
}

// covers reports whether t falls in the failover window, widened by slack
// before the kill.
func (f *failover) covers(t time.Time, slack time.Duration) bool {
	return f.overlaps(t, t, slack)
}

// overlaps reports whether the span from start to end meets the failover
// window, widened by slack before the kill: a request sent before the kill
// that waited for the dead master is the failover's too.
func (f *failover) overlaps(start, end time.Time, slack time.Duration) bool {
	if f == nil {
		return false
	}
	k := f.killedAt.Load()
	if k == 0 || end.UnixNano() < k-int64(slack) {
		return false
	}
	r := f.recoveredAt.Load()
	return r == 0 || start.UnixNano() <= r+int64(f.grace)
}

// run kills the master d names first, at f.at after start unless stop
// closes before, and waits for d to recover. It writes f's fields before
// it returns; read them after.
func (f *failover) run(d redistest.Deployment, start time.Time, stop <-chan struct{}) {
	select {
	case <-time.After(time.Until(start.Add(f.at))):
	case <-stop:
		f.err = errors.New("the run ended before the failover")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	masters, err := d.Masters(ctx)
	for err != nil && ctx.Err() == nil { // redistest's 1 s timeout, on a busy machine
		masters, err = d.Masters(ctx)
	}
	if err != nil || len(masters) == 0 {
		f.err = fmt.Errorf("finding a master to kill: %v", err)
		return
	}
	f.victim = masters[0].Addr
	f.killedAt.Store(time.Now().UnixNano())
	masters[0].Kill()
	if err := d.Wait(ctx); err != nil {
		f.err = fmt.Errorf("waiting for the failover: %w", err)
		return
	}
	f.tookOver.Store(time.Now().UnixNano())
	if f.revive {
		// Until the dead master is back as a replica, the promoted one
		// has none, and writes that wait for a replica fail closed: that
		// is still the failover, so the window lasts until it rejoined.
		revive := masters[0].Revive
		if _, cluster := d.(*redistest.Cluster); !cluster {
			now, err := d.Masters(ctx)
			if err != nil || len(now) != 1 {
				f.err = fmt.Errorf("finding the new master: %v", err)
				return
			}
			revive = func() error { return masters[0].ReviveAsReplicaOf(now[0]) }
		}
		if err := revive(); err != nil {
			f.err = fmt.Errorf("reviving %s: %w", f.victim, err)
			return
		}
		if err := d.Wait(ctx); err != nil {
			f.err = fmt.Errorf("waiting for %s to rejoin as a replica: %w", f.victim, err)
			return
		}
	}
	f.recoveredAt.Store(time.Now().UnixNano())
}

// took returns how long a replica took to take over after the kill, 0 if
// none did.
func (f *failover) took() time.Duration {
	k, r := f.killedAt.Load(), f.tookOver.Load()
	if k == 0 || r == 0 {
		return 0
	}
	return time.Duration(r - k)
}

// recovered returns how long after the kill the failover window closed
// (the takeover, or with revive the rejoin), 0 if it did not.
func (f *failover) recovered() time.Duration {
	k, r := f.killedAt.Load(), f.recoveredAt.Load()
	if k == 0 || r == 0 {
		return 0
	}
	return time.Duration(r - k)
}
