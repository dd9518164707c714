// Package hostinfo describes the machine that numbers come from, for the
// reports of the load test (cmd/loadtest) and the benchmark rounds
// (bench/cmd/benchrounds): a number means little without the load the
// machine was under.
package hostinfo

import (
	"os"
	"strings"
)

// LoadAverage returns the machine's 1, 5 and 15 minute load averages,
// "0.52, 0.58, 0.59", where the system shows them (Linux), else "".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return parseLoadAverage(string(b))
}

// parseLoadAverage reads the first three fields of /proc/loadavg.
func parseLoadAverage(s string) string {
	f := strings.Fields(s)
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], ", ")
}
