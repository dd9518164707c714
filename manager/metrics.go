package manager

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/sessionkit/session/store"
)

// Metrics is a snapshot of a manager's counters, each counted since
// [NewManager] by this manager alone (with a shared store, every instance
// counts what it did). Read it with [Manager.Metrics]; the live-session
// count, which asks the store, is [Manager.CountSessions]. Counters only
// grow, so that a monitoring system can take rates of them.
type Metrics struct {
	// Created counts the sessions made, one per Created event.
	Created uint64
	// Renewed counts the sessions given a new ID (RenewSession).
	Renewed uint64
	// Destroyed counts the sessions that ended, one per Destroyed event, by
	// why they ended.
	Destroyed DestroyedMetrics
	// Refused counts the creations the store refused because it held as
	// many sessions as its cap allows (Options.MaxSessions,
	// store.ErrTooManySessions).
	Refused uint64
	// FailedInvalidations counts the ends of a session that were asked for
	// and failed, leaving the session alive: a store failure, or a renewal
	// by another request in between. Those are the logouts (DestroySession,
	// Invalidate, DestroySessionById, DestroyUserSession(s),
	// DestroyOtherSessions, the destroy before a CreateSession) and the
	// removal of a user's oldest session when Options.MaxSessionsPerUser
	// is reached.
	FailedInvalidations uint64
	// Sweep describes the sweeps (Manager.Sweep and the background sweeper).
	Sweep SweepMetrics
	// Store describes the calls to the store, by operation.
	Store StoreMetrics
}

// DestroyedMetrics counts the sessions that ended, by why they ended. Their
// sum is the number of Destroyed events.
type DestroyedMetrics struct {
	// Logout: DestroySession, Invalidate, DestroySessionById or one of the
	// calls that end a user's sessions (DestroyUserSession and the others)
	// ended a live session.
	Logout uint64
	// Idle: the idle deadline (Options.MaxInactiveInterval) passed.
	Idle uint64
	// Absolute: the absolute deadline (Options.MaxAge) passed.
	Absolute uint64
	// Expired: a deadline passed, but the store did not hand back the record
	// that would tell which (the Redis store after a claim whose reply was
	// lost, say).
	Expired uint64
	// Replaced: CreateSession replaced the request's session with a new one.
	Replaced uint64
	// UserCap: the session was ended to make room under the per-user cap
	// (Options.MaxSessionsPerUser).
	UserCap uint64
}

// SweepMetrics describes the sweeps of expired sessions.
type SweepMetrics struct {
	// Claimed counts the expired sessions the sweeps destroyed (also
	// counted in Destroyed, as Idle, Absolute or Expired).
	Claimed uint64
	// Duration holds how long each sweep took; its Count is the number of
	// sweeps.
	Duration Histogram
}

// StoreMetrics describes the calls to the store, by operation (the
// methods of store.Store of the same names).
type StoreMetrics struct {
	Create, Load, Update, Delete, Renew, Count, Sweep StoreOpMetrics
	// The per-user operations (Login, the user's sessions, SetLifetime).
	SetUser, SetExpires, UserSessions, DeleteUserSession StoreOpMetrics
}

// StoreOpMetrics describes the calls of one store operation.
type StoreOpMetrics struct {
	// Errors counts the calls that failed: the store could not do what was
	// asked. Answers that are part of the protocol (not found, renewed,
	// exists, full) and calls whose request was cancelled (the client went
	// away) are not errors.
	Errors uint64
	// Latency holds how long the calls took, failed ones included. It is
	// empty for the in-memory store, whose calls take well under a
	// microsecond: timing them would cost reads more than the calls do.
	Latency Histogram
}

// histogramBuckets is the number of finite buckets of a [Histogram].
const histogramBuckets = 17

// histogramBounds are the upper bounds of a Histogram's buckets: from a
// loopback round trip (50µs) to a sweep of a million sessions (10s).
var histogramBounds = [histogramBuckets]time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// HistogramBounds returns the upper bounds of the buckets of every
// [Histogram], shortest first: 50µs, 100µs, 250µs, 500µs, 1ms, 2.5ms, 5ms,
// 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2.5s, 5s, 10s.
func HistogramBounds() [histogramBuckets]time.Duration { return histogramBounds }

// Histogram is a snapshot of durations sorted into fixed buckets (see
// [HistogramBounds]), in the form Prometheus uses.
type Histogram struct {
	// Count is the number of durations observed.
	Count uint64
	// Sum is their total.
	Sum time.Duration
	// Buckets[i] counts the durations not longer than HistogramBounds()[i]
	// (cumulative: each bucket includes the shorter ones). Those longer
	// than the last bound are counted in Count only.
	Buckets [histogramBuckets]uint64
}

// histogram is the live form of a Histogram: a counter per bucket (not
// cumulative, so that an observation costs three atomic adds).
type histogram struct {
	buckets [histogramBuckets + 1]atomic.Uint64 // the last: longer than every bound
	sum     atomic.Int64                        // nanoseconds
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < histogramBuckets && d > histogramBounds[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sum.Add(int64(d))
}

func (h *histogram) snapshot() Histogram {
	var out Histogram
	var running uint64
	for i := range h.buckets {
		running += h.buckets[i].Load()
		if i < histogramBuckets {
			out.Buckets[i] = running
		}
	}
	out.Count = running
	out.Sum = time.Duration(h.sum.Load())
	return out
}

// storeOp names a store operation, indexing the per-operation counters.
type storeOp uint8

const (
	opCreate storeOp = iota
	opLoad
	opUpdate
	opDelete
	opRenew
	opCount
	opSweep
	opSetUser
	opSetExpires
	opUserSessions
	opDeleteUserSession
	storeOps
)

// destroyCause says why a session ended, for its metric and its log line.
type destroyCause uint8

const (
	causeLogout destroyCause = iota
	causeIdle
	causeAbsolute
	causeExpired
	causeReplaced
	// causeUserCap: ended to make room under the per-user session cap.
	causeUserCap
	destroyCauses
)

func (c destroyCause) String() string {
	switch c {
	case causeLogout:
		return "logout"
	case causeIdle:
		return "idle"
	case causeAbsolute:
		return "absolute"
	case causeExpired:
		return "expired"
	case causeReplaced:
		return "replaced"
	case causeUserCap:
		return "user_cap"
	}
	return "unknown"
}

// expiryCause tells which deadline of rec had passed at now: the absolute
// one wins a tie, since no use could have saved the session. A record the
// store did not hand back (zero times) tells nothing.
func expiryCause(rec store.Record, now time.Time) destroyCause {
	switch {
	case !rec.Expires.IsZero() && !rec.Expires.After(now):
		return causeAbsolute
	case rec.Idle > 0 && !rec.Accessed.IsZero() && !rec.Accessed.Add(rec.Idle).After(now):
		return causeIdle
	}
	return causeExpired
}

// counters is the live form of Metrics: atomics only, so that counting
// costs a request an atomic add and no lock or allocation.
type counters struct {
	created             atomic.Uint64
	renewed             atomic.Uint64
	destroyed           [destroyCauses]atomic.Uint64
	failedInvalidations atomic.Uint64
	swept               atomic.Uint64
	sweeps              histogram
	storeErrors         [storeOps]atomic.Uint64
	storeLatency        [storeOps]histogram
}

// Metrics returns a snapshot of the manager's counters (see [Metrics]). It
// reads atomics only: a scrape does not slow the requests down.
func (m *Manager) Metrics() Metrics {
	c := &m.counters
	op := func(o storeOp) StoreOpMetrics {
		return StoreOpMetrics{Errors: c.storeErrors[o].Load(), Latency: c.storeLatency[o].snapshot()}
	}
	return Metrics{
		Created: c.created.Load(),
		Renewed: c.renewed.Load(),
		Destroyed: DestroyedMetrics{
			Logout:   c.destroyed[causeLogout].Load(),
			Idle:     c.destroyed[causeIdle].Load(),
			Absolute: c.destroyed[causeAbsolute].Load(),
			Expired:  c.destroyed[causeExpired].Load(),
			Replaced: c.destroyed[causeReplaced].Load(),
			UserCap:  c.destroyed[causeUserCap].Load(),
		},
		Refused:             m.refused.Load(),
		FailedInvalidations: c.failedInvalidations.Load(),
		Sweep:               SweepMetrics{Claimed: c.swept.Load(), Duration: c.sweeps.snapshot()},
		Store: StoreMetrics{
			Create: op(opCreate), Load: op(opLoad), Update: op(opUpdate), Delete: op(opDelete),
			Renew: op(opRenew), Count: op(opCount), Sweep: op(opSweep),
			SetUser: op(opSetUser), SetExpires: op(opSetExpires),
			UserSessions: op(opUserSessions), DeleteUserSession: op(opDeleteUserSession),
		},
	}
}

// CountSessions returns the number of sessions in the store, as
// GetSessionSize does, or the store's error. A metrics collector calls it
// when scraped, never per request: on Redis it reads every index shard.
func (m *Manager) CountSessions(ctx context.Context) (int, error) {
	return m.store.Count(ctx)
}
