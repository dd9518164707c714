//go:build !linux

package bench

import "syscall"

// dieWithParent has no portable equivalent outside Linux: TestMain stops
// the server when the run ends normally.
func dieWithParent() *syscall.SysProcAttr { return nil }
