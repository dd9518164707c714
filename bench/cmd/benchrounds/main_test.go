package main

import (
	"math"
	"regexp"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		line string
		want sample
	}{
		{
			name: "request benchmark with -benchmem, GOMAXPROCS 2",
			line: "BenchmarkServe/sessionkit-memory-read-2   \t  331104\t      3620 ns/op\t    1000 B/op\t       7 allocs/op",
			want: sample{name: "BenchmarkServe/sessionkit-memory-read", ns: 3620, bytes: 1000, allocs: 7},
		},
		{
			name: "GOMAXPROCS 1 adds no suffix",
			line: "BenchmarkServeParallel/bare-gin \t 1000 \t 1950 ns/op \t 368 B/op \t 2 allocs/op",
			want: sample{name: "BenchmarkServeParallel/bare-gin", ns: 1950, bytes: 368, allocs: 2},
		},
		{
			name: "reported metric",
			line: "BenchmarkHeapPerSession/scs-memstore-100000-2 \t 1 \t 5970345431 ns/op \t 377.5 B/session",
			want: sample{name: "BenchmarkHeapPerSession/scs-memstore-100000", ns: 5970345431, metrics: map[string]float64{"B/session": 377.5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parse([]byte("goos: linux\n" + tt.line + "\nPASS\n"))
			if len(got) != 1 {
				t.Fatalf("parse found %d results; want 1", len(got))
			}
			g := got[0]
			if g.name != tt.want.name || g.ns != tt.want.ns || g.bytes != tt.want.bytes || g.allocs != tt.want.allocs {
				t.Errorf("parse = %+v; want %+v", g, tt.want)
			}
			for unit, v := range tt.want.metrics {
				if g.metrics[unit] != v {
					t.Errorf("metric %s = %v; want %v", unit, g.metrics[unit], v)
				}
			}
		})
	}
}

func TestBenchRegexpSelectsOnlyItsName(t *testing.T) {
	tests := []struct {
		name, bench string
		others      []string
	}{
		{"top level", "BenchmarkRedisGet", []string{"BenchmarkRedisGetParallel"}},
		{"sub-benchmark", "BenchmarkServe/bare-gin", []string{"BenchmarkServeParallel/bare-gin", "BenchmarkServe/bare-gin-x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The testing package matches each level of a name with its own
			// part of the pattern; so does this check.
			match := func(name string) bool {
				pats := splitLevels(benchRegexp(tt.bench))
				parts := splitLevels(name)
				if len(pats) != len(parts) {
					return false
				}
				for i := range pats {
					if !regexp.MustCompile(pats[i]).MatchString(parts[i]) {
						return false
					}
				}
				return true
			}
			if !match(tt.bench) {
				t.Errorf("%s does not select itself", benchRegexp(tt.bench))
			}
			for _, o := range tt.others {
				if match(o) {
					t.Errorf("%s also selects %s", benchRegexp(tt.bench), o)
				}
			}
		})
	}
}

func splitLevels(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func TestMedianAndRatios(t *testing.T) {
	bare, mem := item{name: bareServe}, item{name: serveBench + "/sessionkit-memory-read"}
	tb := tables{rounds: []map[item]sample{
		{bare: {ns: 100}, mem: {ns: 150}},
		{bare: {ns: 200}, mem: {ns: 260}}, // a slow round: the ratio stays near
		{bare: {ns: 100}},                 // a failed run of mem: the round is left out
		{bare: {ns: 100}, mem: {ns: 140}},
	}}
	if got := median(tb.ratios(mem, bare)); math.Abs(got-1.4) > 1e-9 {
		t.Errorf("median ratio = %v; want 1.4 (of 1.5, 1.3, 1.4)", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of an even count = %v; want 2.5", got)
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is a number")
	}
}
