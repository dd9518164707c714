// Package allocbudget holds the memory bound of the fuzz targets: no input
// may make the code under test allocate more than [MaxBytes]. The bound is
// in bytes, which testing.AllocsPerRun (a count of allocations) cannot see.
package allocbudget

import (
	"runtime"
	"testing"
)

// MaxBytes is the most that the code under test may allocate for one fuzz
// input: 64 KiB.
const MaxBytes = 64 << 10

// tries is how often Check measures an input before it calls it over budget.
const tries = 3

// Bytes returns how many bytes the heap allocated while fn ran. It counts
// every goroutine's allocations, so work running beside fn can only make the
// reading larger, never smaller.
func Bytes(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Check fails t when fn allocates more than MaxBytes. A reading over the
// budget is taken again, up to three times in all, and the smallest one
// counts: a goroutine allocating beside fn can inflate one reading, while an
// input that really costs too much costs it every time. fn must therefore be
// safe to run more than once.
func Check(t testing.TB, what string, fn func()) {
	t.Helper()
	least := Bytes(fn)
	for i := 1; i < tries && least > MaxBytes; i++ {
		least = min(least, Bytes(fn))
	}
	if least > MaxBytes {
		t.Fatalf("%s allocated %d bytes for one input; the budget is %d", what, least, MaxBytes)
	}
}
