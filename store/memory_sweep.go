package store

import (
	"context"
	"runtime"
	"slices"
	"time"

	"github.com/sessionkit/session/internal/sweephold"
)

// sweepStepsPerLock bounds how many filed deadlines a sweep pops under one
// hold of a shard's lock. A read of a session in the shard waits for the
// rest of a hold, and with 64 shards one read in 64 lands in the shard
// being swept: at 1,024 steps a hold (about 0.3 ms) that wait set the 99th
// percentile of every read while a wave of sessions expired. At 32 a hold
// is a few microseconds, about what a read takes anyway.
const sweepStepsPerLock = 32

// sweepSlice is how long a Sweep call runs, by the wall clock, before it
// yields its processor (runtime.Gosched) to the goroutines waiting for one.
// A goroutine that sweeps never blocks, and without a yield the requests it
// shares the processors with wait for the scheduler to preempt it, every
// 10 ms. Every yield under load costs one request the rest of a slice: the
// scheduler hands the sweep a processor a request was running on, and that
// request waits until the sweep yields again. So the number of slices, not
// their length, sets how many requests a sweep slows down: yielding every
// 256 sessions (about 0.3 ms) slowed more than one request in a hundred
// while a wave of a million sessions expired, and so set the 99th
// percentile of every read. 2 ms makes a sweep of a million sessions about
// a thousand slices. When nothing else is runnable the yield returns at
// once. The manager paces its sweep the same way across store calls.
const sweepSlice = 2 * time.Millisecond

// claimedEntry is a session a sweep took out of its shard, to be reported
// once the shard's lock is free (its ID too: encoding it allocates).
type claimedEntry struct {
	e *memoryEntry
}

// Sweep implements [Store]. Its cost follows what came due: it looks only at
// the filed deadlines that passed, one shard lock at a time.
//
// Its work is bounded: every deadline filed when it reaches a shard is
// popped at most once, since a session refiled is refiled after now (see
// claimDue), and it pops no more than that many deadlines of a shard.
func (m *memory) Sweep(_ context.Context, now time.Time, limit int) ([]Entry, error) {
	if err := m.enter(); err != nil {
		return nil, err
	}
	defer m.leave()
	now = wallClock(now)
	var out []Entry
	sliceFrom := time.Now()
	start := m.sweepFrom.Add(1)
	for i := uint32(0); i < shardCount && len(out) < limit; i++ {
		s := &m.shards[(start+i)&(shardCount-1)]
		var formerIDs []string
		out, formerIDs = m.sweepShard(s, now, limit, out, &sliceFrom)
		m.dropTombstones(formerIDs) // after sweepShard let go of s.mu
	}
	return out, nil
}

// sweepShard sweeps s until nothing filed there is due at now or out holds
// limit records, sweepStepsPerLock deadlines per hold of s's lock. It pops
// at most as many deadlines as s had filed when it began: those filed since
// (a session created already expired, say) wait for the next sweep. It also
// returns the former IDs of the sessions it removed, whose tombstones the
// caller drops once s.mu is free.
//
// Between two holds, once sweepSlice has passed since *sliceFrom (the
// start of the Sweep call or its last yield), it yields its processor and
// starts a new slice: a sweep through a wave of a million expired sessions
// is seconds of work that never blocks (see sweepSlice).
func (m *memory) sweepShard(s *memoryShard, now time.Time, limit int, out []Entry, sliceFrom *time.Time) (_ []Entry, formerIDs []string) {
	s.mu.RLock()
	budget := s.due.Len()
	s.mu.RUnlock()
	var claimed [sweepStepsPerLock]claimedEntry
	for budget > 0 && len(out) < limit {
		var popped int
		var done bool
		// Room for all a hold can report, made before the lock: growing out
		// under it would make the shard's requests wait for the allocator
		// and any garbage collection work it is charged with.
		out = slices.Grow(out, min(limit-len(out), budget, sweepStepsPerLock))
		out, popped, done = m.sweepSteps(s, now, limit, out, min(budget, sweepStepsPerLock), &formerIDs, claimed[:0])
		if done {
			break
		}
		budget -= popped
		if time.Since(*sliceFrom) >= sweepSlice {
			runtime.Gosched()
			*sliceFrom = time.Now()
		}
	}
	return out, formerIDs
}

// sweepSteps pops up to steps deadlines of s that are due at now, in one
// hold of s's lock (see claimDue), and appends the sessions that expired to
// out, building their Entries after letting go of the lock. It returns how
// many deadlines it popped and done == true when nothing more is due or out
// holds limit records. claimed is scratch space for up to steps sessions
// (nil: allocated as needed).
func (m *memory) sweepSteps(s *memoryShard, now time.Time, limit int, out []Entry, steps int, formerIDs *[]string, claimed []claimedEntry) (_ []Entry, popped int, done bool) {
	claimed, popped, done = m.claimDue(s, now, limit-len(out), steps, claimed)
	// Out of the shard, an entry no longer changes (expires and bound change
	// only in it, a touch needs it there), so its record is read here
	// without the lock, as Delete does.
	for _, c := range claimed {
		e := c.e
		id := e.id()
		// A bound session's masked ID is at hand; any other's is hashed
		// here: a SHA-256 per session under the lock made every request of
		// the shard wait for a whole batch of them.
		var masked string
		if b := e.bound(); b != nil {
			masked = string(b.masked[:])
		} else {
			masked = MaskedID(id)
		}
		out = append(out, Entry{ID: id, MaskedID: masked, Record: e.record()})
		*formerIDs = append(*formerIDs, e.formerIDs()...)
	}
	clear(claimed) // the entries are garbage once reported
	return out, popped, done || len(out) >= limit
}

// claimDue pops up to steps deadlines of s that are due at now, under one
// hold of s's write lock, takes out of s the sessions that expired, at most
// room of them, and appends them to claimed. Nothing but the heap, the maps
// and the counters is touched under the lock. It returns how many deadlines
// it popped and done == true when nothing more is due or room is used up.
//
// A session filed under a deadline that has since slid (a touching Load
// does not refile) is refiled under its current one, which is after now:
// ExpiredAt said so, by the same wall clock the heap uses. Should the two
// ever disagree, the session is taken as expired rather than refiled where
// the next pop would find it again: a refile at or before now is how a sweep
// spun forever.
func (m *memory) claimDue(s *memoryShard, now time.Time, room, steps int, claimed []claimedEntry) (_ []claimedEntry, popped int, done bool) {
	nowAt := dueAtOf(now)
	s.mu.Lock()
	locked := sweephold.Start()
	defer sweephold.Done(locked) // after the Unlock below: the whole hold
	defer s.mu.Unlock()
	for ; popped < steps; popped++ {
		if len(claimed) >= room {
			return claimed, popped, true
		}
		item, ok := s.due.popDueAt(nowAt)
		if !ok {
			return claimed, popped, true
		}
		e := item.e
		if e.gone {
			continue // deleted since it was filed
		}
		if item.gen != e.gen {
			continue // superseded by SetExpires, which filed it again
		}
		if deadline := e.deadline(); deadline.IsZero() || deadline.After(now) {
			if deadline.IsZero() {
				continue // never expires: nothing to file (not filed by Create)
			}
			if nowAt.before(dueAtOf(deadline)) {
				s.due.file(e, deadline, e.gen)
				continue
			}
		}
		if e.renewed {
			s.delete(e, m.keyOf(e)) // a tombstone: not counted, not reported
			continue
		}
		m.remove(s, e, m.keyOf(e))
		claimed = append(claimed, claimedEntry{e: e})
	}
	return claimed, popped, len(claimed) >= room
}
