package redistest

import (
	"fmt"
	"os/exec"
	"testing"
)

// Launch starts a private redis-server on a free loopback port, keeping its
// files in dir, for a program rather than a test: the load test command
// starts its own Redis this way. The caller stops it with [Server.Close].
// Extra arguments go to redis-server as in [Start].
func Launch(dir string, extra ...string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redistest: redis-server is not installed (apt-get install redis-server): %w", err)
	}
	return startServer(bin, dir, extra)
}

// Close kills a server started by [Launch]; it is safe to call twice.
func (s *Server) Close() { s.kill() }

// Require skips the test when redis-server is not installed, or fails it
// when SESSION_REQUIRE_REDIS=1, exactly as the tests that call [Client] or
// [Start] do. A test that starts its servers through [Launch] calls it first.
func Require(t testing.TB) {
	t.Helper()
	requireBinary(t)
}
