package bench

import "syscall"

// dieWithParent makes the kernel kill redis-server when the benchmark
// process dies, so that an interrupted run leaves no server behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
