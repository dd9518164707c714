package testkit

import (
	"sync"
	"time"
)

// Clock is a clock that only moves when a test advances it, so that
// timeouts are tested without sleeping. Its Now fits Options.Clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at a fixed moment.
func NewClock() *Clock {
	return &Clock{now: time.Unix(1_700_000_000, 0)}
}

// NewClockAt returns a clock stopped at start. Tests of stores that set real
// expiry times (Redis key TTLs) start it at the current wall time, so that
// what the fake clock calls live has not already expired for the store.
func NewClockAt(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Step moves the clock by d, which may be negative: a wall clock stepped
// back by NTP or an operator, which deadlines compared across goroutines
// must survive.
func (c *Clock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
