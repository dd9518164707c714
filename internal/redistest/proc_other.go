//go:build !linux

package redistest

import "syscall"

// dieWithParent is a no-op where the kernel cannot tie a child's life to its
// parent; Main and test cleanups still stop the server.
func dieWithParent() *syscall.SysProcAttr { return nil }
