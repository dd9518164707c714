//go:build go1.26

package browsertest

import "testing"

// screenshotDir is where the test saves its screenshots: the test's
// artifact directory, which `go test -artifacts` keeps (Go 1.26 on).
func screenshotDir(t *testing.T) string {
	return t.ArtifactDir()
}
