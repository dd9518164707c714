package redistest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// skips remembers why Redis tests were skipped, so that [Main] can say so
// once the package's tests have run. go test shows a passing package's output
// only with -v: without this line, a machine with no redis-server passes
// the README's test command while most Redis tests never ran.
var skips struct {
	mu     sync.Mutex
	count  int
	reason string
}

func noteSkip(reason string) {
	skips.mu.Lock()
	defer skips.mu.Unlock()
	skips.count++
	if skips.reason == "" {
		skips.reason = reason
	}
}

// reportSkips writes one line naming the package, how many tests skipped and
// why. It goes to the terminal when there is one, because go test holds back
// a passing package's output, and to stderr otherwise (shown with -v and for
// a failing package).
func reportSkips() {
	var out io.Writer = os.Stderr
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		out = tty
	}
	writeSkips(out, testPackage())
}

// writeSkips writes the line reportSkips describes to out, or nothing when
// no test skipped.
func writeSkips(out io.Writer, pkg string) {
	skips.mu.Lock()
	count, reason := skips.count, skips.reason
	skips.mu.Unlock()
	if count == 0 {
		return
	}
	tests := "tests"
	if count == 1 {
		tests = "test"
	}
	fmt.Fprintf(out, "%s: %d Redis %s SKIPPED: %s (set %s=1 to fail instead)\n", pkg, count, tests, reason, EnvRequire)
}

// testPackage names the package under test from the test binary's name
// (go test builds <package>.test).
func testPackage() string {
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
}
