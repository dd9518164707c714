//go:build !unix

package bench

import "time"

// processCPU does not know the CPU time outside Unix: the benchmarks then
// report wall time only.
func processCPU() (time.Duration, bool) { return 0, false }
