// Package sweephold times, from inside the memory store, each hold of a
// shard's write lock by a sweep, for a benchmark that wants the holds
// themselves rather than bounds on them from outside the store.
//
// Timing from outside cannot see a hold: a store Sweep call spans several
// holds and the yields between them. Timing from inside counts what a
// request waiting for the lock feels: the hold by the wall clock, from the
// moment the sweep has the lock to the moment it let go, including any
// time the sweeping goroutine was descheduled while holding it (by the Go
// scheduler, a garbage collection or the operating system).
//
// Off (the default) it costs a hold one atomic load.
package sweephold

import (
	"sync/atomic"
	"time"
)

// observer is called with each hold's wall-clock duration; nil: off.
var observer atomic.Pointer[func(held time.Duration)]

// Observe calls f with the duration of each hold of a shard's write lock by
// a memory store's sweep, from any goroutine that sweeps, until the
// returned stop is called. One observer at a time: a later Observe
// replaces an earlier one.
func Observe(f func(held time.Duration)) (stop func()) {
	observer.Store(&f)
	return func() { observer.CompareAndSwap(&f, nil) }
}

// Start is called by the sweep right after it took the lock. It returns
// the time it took it, or the zero time when nobody observes holds.
func Start() time.Time {
	if observer.Load() == nil {
		return time.Time{}
	}
	return time.Now()
}

// Done is called by the sweep right after it let go of the lock it took
// at locked (Start's result); it reports the hold to the observer.
func Done(locked time.Time) {
	if locked.IsZero() {
		return
	}
	if f := observer.Load(); f != nil {
		(*f)(time.Since(locked))
	}
}
