//go:build !linux

package store

// threadCPU is not measured outside Linux: see the Linux one.
func threadCPU() (int64, bool) { return 0, false }
