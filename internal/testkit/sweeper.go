package testkit

// StoppedSweeper returns a closed channel: a manager given it as its
// GcStopChan never sweeps on its own, so that expiry is found only by
// lookups or an explicit Sweep, at the moment a test chooses.
func StoppedSweeper() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
