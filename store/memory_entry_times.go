package store

import (
	"math"
	"time"
)

// wallNanos is a time the entry keeps (Created, Accessed, Expires) in one
// int64: Unix nanoseconds by the wall clock, or a mark. Unix nanoseconds
// hold the years 1678 to 2262, every time a session of today has; the zero
// time and any other (a Created the caller made up, an Expires 250 years
// away, an Accessed from a clock set wrong) are marked and, for the latter,
// kept whole in the entry's rare part. An int64 rather than seconds and
// nanoseconds each keeps the entry in its size class (see
// TestMemoryEntryFitsIn128Bytes).
type wallNanos int64

const (
	noTime  wallNanos = math.MinInt64     // the zero time.Time
	farTime wallNanos = math.MinInt64 + 1 // see farTimes
	// farLater marks an Accessed after 2262, kept in farTimes as farTime
	// marks one before 1678. Accessed needs a mark of each side, ordered as
	// the times they stand for against every Unix nanosecond, because a
	// touch compares it with now without looking at the rare part (see
	// memoryEntry.touch).
	farLater wallNanos = math.MaxInt64
)

// nanosSecRange bounds the Unix seconds whose nanoseconds an int64 holds
// clear of the marks: one second short of each end.
const (
	minNanosSec = math.MinInt64/int64(time.Second) + 1
	maxNanosSec = math.MaxInt64/int64(time.Second) - 1
)

// wallNanosOf returns t by the wall clock, or farTime when it must be kept
// whole.
func wallNanosOf(t time.Time) wallNanos {
	if t.IsZero() {
		return noTime
	}
	if sec := t.Unix(); sec < minNanosSec || sec > maxNanosSec {
		return farTime
	}
	return wallNanos(t.UnixNano())
}

// accessedNanosOf returns t as the entry keeps its Accessed: as wallNanosOf
// does, but a time after 2262 is farLater rather than farTime, so that the
// marks keep the order of the times they stand for.
func accessedNanosOf(t time.Time) wallNanos {
	n := wallNanosOf(t)
	if n == farTime && t.Unix() > 0 {
		return farLater
	}
	return n
}

// isMark reports whether n stands for a time rather than holding it.
func (n wallNanos) isMark() bool { return n == noTime || n == farTime || n == farLater }

// time returns n as a time.Time; n is neither farTime nor farLater. The
// zero time comes back as the zero time.Time, so that IsZero and == both
// hold for it.
func (n wallNanos) time() time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, int64(n))
}

// farTimes are the entry's times that wallNanos cannot hold, by the wall
// clock. It never changes: SetExpires replaces it. Its accessed is the
// session's Accessed only while the entry's accessed is a mark: a touch
// moves that into Unix nanoseconds, and never back to a mark.
type farTimes struct {
	created, accessed, expires time.Time
}

// setTimes keeps created, accessed and expires in e, and in e.rare those
// that do not fit in a wallNanos. The caller may write e (it is not
// published yet, or its shard's write lock is held, so that no touch runs).
func (e *memoryEntry) setTimes(created, accessed, expires time.Time) {
	e.created, e.expires = wallNanosOf(created), wallNanosOf(expires)
	a := accessedNanosOf(accessed)
	e.accessed.Store(int64(a))
	var far *farTimes
	if e.created == farTime || e.expires == farTime || a == farTime || a == farLater {
		far = &farTimes{created: wallClock(created), accessed: wallClock(accessed), expires: wallClock(expires)}
	}
	if far != nil || e.far() != nil {
		e.editRare(func(r *entryRare) { r.far = far })
	}
}

// far returns e's far times, or nil when they all fit in e.
func (e *memoryEntry) far() *farTimes {
	if e.rare == nil {
		return nil
	}
	return e.rare.far
}

// createdTime returns the session's Created.
func (e *memoryEntry) createdTime() time.Time {
	if e.created == farTime {
		return e.rare.far.created
	}
	return e.created.time()
}

// expiresTime returns the session's absolute deadline (the zero time: none).
func (e *memoryEntry) expiresTime() time.Time {
	if e.expires == farTime {
		return e.rare.far.expires
	}
	return e.expires.time()
}

// accessedTime returns the session's Accessed. The caller holds e's shard's
// lock, or e left the shard: a mark is set only with the rare part that
// explains it.
func (e *memoryEntry) accessedTime() time.Time {
	switch n := wallNanos(e.accessed.Load()); n {
	case farTime, farLater:
		return e.rare.far.accessed
	default:
		return n.time()
	}
}
