//go:build !go1.26

package browsertest

import "testing"

// screenshotDir is where the test saves its screenshots. Go 1.25, the
// example's minimum, has no artifact directory (t.ArtifactDir, -artifacts):
// the screenshots are still taken, so the layout checks run, but go to a
// directory removed after the test.
func screenshotDir(t *testing.T) string {
	return t.TempDir()
}
