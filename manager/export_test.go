package manager

// SweeperDone is closed when the manager's background sweeper has returned,
// so that a test can see GcStopChan stop it.
func (m *Manager) SweeperDone() <-chan struct{} { return m.sweeping }

// SweepMaxBatches is how many store batches one Sweep makes at most.
const SweepMaxBatches = sweepMaxBatches
