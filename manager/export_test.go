package manager

import "github.com/sessionkit/session/internal/seam"

// SweeperDone is closed when the manager's background sweeper has returned,
// so that a test can see GcStopChan stop it.
func (m *Manager) SweeperDone() <-chan struct{} { return m.life.sweeping }

// SweepMaxBatches is how many store batches one Sweep makes at most.
const SweepMaxBatches = sweepMaxBatches

// Names that package seam carries for the faces, exported here for the
// tests of package manager alone.
const (
	IDLength          = seam.IDLength
	MaxCookieSize     = seam.MaxCookieSize
	DefaultCookieName = seam.DefaultCookieName
)

// CookieValue is seam.CookieValue, which the built-in cookie carrier reads
// the session ID with.
var CookieValue = seam.CookieValue

// Options returns the manager's options with every default filled in.
func (m *Manager) Options() Options { return m.opts }

// ForgetInsecureWarnings makes the process forget the insecure-cookie
// warnings it logged, so that a test can see which ones the next managers
// log.
func ForgetInsecureWarnings() { insecureWarned.Clear() }
