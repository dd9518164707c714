package testkit

import (
	"runtime"
	"time"
)

// GoroutinesSettle runs the garbage collector until no more goroutines run
// than baseline, and returns how many run then. It gives up after a bound
// that only a leak reaches: it says nothing about how fast the collector or
// the cleanups it starts are, so a test asserts on the count, never on time.
func GoroutinesSettle(baseline int) int {
	deadline := time.Now().Add(30 * time.Second)
	for {
		runtime.GC()
		n := runtime.NumGoroutine()
		if n <= baseline || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}
