package redistest

import "testing"

// Require skips the test when a program the topology needs is not
// installed, or fails it when SESSION_REQUIRE_REDIS=1, as [Topology.Start]
// does. A test that runs code which launches the topology itself (the load
// test command's smoke) calls it first.
func (tp Topology) Require(t testing.TB) {
	t.Helper()
	tp.require(t)
}
