package redistest

import (
	"strings"
	"testing"
)

// TestSkipLineNamesCountAndReason checks the line Main prints after a
// package's Redis tests skipped: the package, how many, the first reason and
// how to make them fail instead; and nothing when none skipped.
func TestSkipLineNamesCountAndReason(t *testing.T) {
	saved := skips.count
	savedReason := skips.reason
	t.Cleanup(func() { skips.count, skips.reason = saved, savedReason })

	skips.count, skips.reason = 0, ""
	var none strings.Builder
	writeSkips(&none, "pkg")
	if none.Len() != 0 {
		t.Fatalf("no skips wrote %q", none.String())
	}

	noteSkip("redis-server is not installed")
	noteSkip("another reason")
	var out strings.Builder
	writeSkips(&out, "example.com/pkg")
	want := "example.com/pkg: 2 Redis tests SKIPPED: redis-server is not installed (set " + EnvRequire + "=1 to fail instead)\n"
	if out.String() != want {
		t.Fatalf("got  %q\nwant %q", out.String(), want)
	}
}
