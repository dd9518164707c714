package store

import (
	"math"
	"time"
)

// wallNanos is a time the entry keeps (Created, Expires) in one int64: Unix
// nanoseconds by the wall clock, or one of two marks. Unix nanoseconds hold
// the years 1678 to 2262, every time a session of today has; the zero time
// and any other (a Created the caller made up, an Expires 250 years away)
// are marked and, for the latter, kept whole in the entry's rare part. Two
// int64 rather than seconds and nanoseconds each keep the entry in the
// 64-byte size class (see TestMemoryEntryFitsIn64Bytes).
type wallNanos int64

const (
	noTime  wallNanos = math.MinInt64     // the zero time.Time
	farTime wallNanos = math.MinInt64 + 1 // see farTimes
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

// time returns n as a time.Time; n is not farTime. The zero time comes
// back as the zero time.Time, so that IsZero and == both hold for it.
func (n wallNanos) time() time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, int64(n))
}

// farTimes are the entry's times that wallNanos cannot hold, by the wall
// clock. It never changes: SetExpires replaces it.
type farTimes struct {
	created, expires time.Time
}

// setTimes keeps created and expires in e, and in e.rare those that do not
// fit in a wallNanos. The caller may write e (it is not published yet, or
// its shard's write lock is held).
func (e *memoryEntry) setTimes(created, expires time.Time) {
	e.created, e.expires = wallNanosOf(created), wallNanosOf(expires)
	var far *farTimes
	if e.created == farTime || e.expires == farTime {
		far = &farTimes{created: wallClock(created), expires: wallClock(expires)}
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
