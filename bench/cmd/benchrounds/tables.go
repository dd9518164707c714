package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// tables computes the medians of the rounds and prints them.
type tables struct {
	rounds []map[item]sample
	items  []item
	cpus   []string
}

// isRedis reports whether a contender keeps its sessions in Redis, so that
// its floor is a raw GET as well as bare Gin.
func isRedis(name string) bool { return strings.Contains(name, "redis") }

// values returns what f gives for it in each round that has it.
func (t tables) values(it item, f func(sample) float64) []float64 {
	var vs []float64
	for _, r := range t.rounds {
		if s, ok := r[it]; ok {
			vs = append(vs, f(s))
		}
	}
	return vs
}

// ratios returns ns(it)/ns(floor) in each round that has both.
func (t tables) ratios(it, floor item) []float64 { return t.ratiosOf(it, floor, wallNs) }

// cpuRatios returns cpu(it)/cpu(floor) in each round that has both.
func (t tables) cpuRatios(it, floor item) []float64 { return t.ratiosOf(it, floor, cpuNs) }

func (t tables) ratiosOf(it, floor item, f func(sample) float64) []float64 {
	var vs []float64
	for _, r := range t.rounds {
		a, okA := r[it]
		b, okB := r[floor]
		if okA && okB && f(b) > 0 && f(a) > 0 {
			vs = append(vs, f(a)/f(b))
		}
	}
	return vs
}

func wallNs(s sample) float64 { return s.ns }

// cpuNs is the process CPU time per iteration (0 where not measured).
func cpuNs(s sample) float64 { return s.metrics["cpu-ns/op"] }

// speedups returns, per round, how much faster it ran at the highest of the
// parallel GOMAXPROCS values than at the lowest, divided by the same for
// floor: 1 means it scales as floor does.
func (t tables) speedups(name, floor string) []float64 {
	lo, hi := t.cpus[0], t.cpus[len(t.cpus)-1]
	var vs []float64
	for _, r := range t.rounds {
		a1, ok1 := r[item{name, lo}]
		a2, ok2 := r[item{name, hi}]
		b1, ok3 := r[item{floor, lo}]
		b2, ok4 := r[item{floor, hi}]
		if ok1 && ok2 && ok3 && ok4 && a2.ns > 0 && b2.ns > 0 {
			vs = append(vs, (a1.ns/a2.ns)/(b1.ns/b2.ns))
		}
	}
	return vs
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread formats the median of vs with its lowest and highest value.
func spread(vs []float64) string {
	if len(vs) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f (%.2f-%.2f)", median(vs), slices.Min(vs), slices.Max(vs))
}

// count formats a count with thousands separators.
func count(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func shortName(name string) string {
	_, sub, ok := strings.Cut(name, "/")
	if !ok {
		return name
	}
	return sub
}

func (t tables) printServe() {
	fmt.Printf("### One request at a time (%s, %s)\n\n", serveBench, redisGetBench)
	fmt.Printf("Median of %d rounds; \"x bare\" and \"x GET\" are medians of the ratios taken within each round (lowest-highest in brackets).\n\n", len(t.rounds))
	fmt.Println("| case | ns/op | cpu-ns/op | B/op | allocs/op | x bare Gin | x bare Gin, CPU | x raw GET |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	bare, get := item{name: bareServe}, item{name: redisGetBench}
	for _, it := range t.items {
		if !strings.HasPrefix(it.name, serveBench+"/") && it.name != redisGetBench {
			continue
		}
		xGet := ""
		if isRedis(it.name) || it == get {
			xGet = spread(t.ratios(it, get))
		}
		xBare, xBareCPU := spread(t.ratios(it, bare)), spread(t.cpuRatios(it, bare))
		if it == get {
			xBare, xBareCPU = "", "" // not a request
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", shortName(it.name),
			count(median(t.values(it, wallNs))),
			count(median(t.values(it, cpuNs))),
			count(median(t.values(it, func(s sample) float64 { return s.bytes }))),
			count(median(t.values(it, func(s sample) float64 { return s.allocs }))),
			xBare, xBareCPU, xGet)
	}
	fmt.Println()
}

func (t tables) printParallel() {
	lo, hi := t.cpus[0], t.cpus[len(t.cpus)-1]
	fmt.Printf("### Parallel reads (%s, %s; -cpu %s)\n\n", serveParallelBench, redisGetParallel, strings.Join(t.cpus, ","))
	fmt.Printf("ns/op is wall time per request with all goroutines running. \"scaling vs bare\" is, per round, the speed-up from -cpu %s to -cpu %s divided by bare Gin's (the raw GET's for itself): 1.00 scales as bare Gin does.\n\n", lo, hi)
	fmt.Printf("| case | ns/op -cpu %s | ns/op -cpu %s | allocs/op | x bare -cpu %s | x bare -cpu %s | x bare, CPU, -cpu %s | x GET -cpu %s | scaling vs bare |\n", lo, hi, lo, hi, hi, hi)
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	var names []string
	for _, it := range t.items {
		if it.cpu != "" && !slices.Contains(names, it.name) {
			names = append(names, it.name)
		}
	}
	for _, name := range names {
		atLo, atHi := item{name, lo}, item{name, hi}
		ns := func(it item) string { return count(median(t.values(it, func(s sample) float64 { return s.ns }))) }
		floor := bareParallel
		if name == redisGetParallel {
			floor = redisGetParallel
		}
		xBareLo, xBareHi, xGet := spread(t.ratios(atLo, item{bareParallel, lo})), spread(t.ratios(atHi, item{bareParallel, hi})), ""
		xBareCPU := spread(t.cpuRatios(atHi, item{bareParallel, hi}))
		if name == redisGetParallel {
			xBareLo, xBareHi, xBareCPU = "", "", ""
		}
		if isRedis(name) {
			xGet = spread(t.ratios(atHi, item{redisGetParallel, hi}))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", shortName(name), ns(atLo), ns(atHi),
			count(median(t.values(atHi, func(s sample) float64 { return s.allocs }))),
			xBareLo, xBareHi, xBareCPU, xGet, spread(t.speedups(name, floor)))
	}
	fmt.Println()
}

// printMemory prints the heap and sweep results.
func printMemory(ss []sample) {
	fmt.Printf("### Live heap per idle session holding one short string (%s, one run)\n\n", heapBench)
	fmt.Println("| case | B/session |")
	fmt.Println("|---|---:|")
	for _, s := range ss {
		if v, ok := s.metrics["B/session"]; ok {
			fmt.Printf("| %s | %s |\n", shortName(s.name), count(v))
		}
	}
	fmt.Println()
	for _, s := range ss {
		if !strings.HasPrefix(s.name, sweepBench+"/") {
			continue
		}
		m := s.metrics
		fmt.Printf("### Sweep under reads (%s, one run)\n\n", s.name)
		fmt.Println("| | reads of live sessions alone | reads during the sweep |")
		fmt.Println("|---|---:|---:|")
		µs := func(unit string) string { return count(m[unit]/1e3) + " µs" }
		fmt.Printf("| read p99 | %s | %s |\n", µs("idle-p99-ns"), µs("sweep-p99-ns"))
		fmt.Printf("| read p99.9 | %s | %s |\n", µs("idle-p99.9-ns"), µs("sweep-p99.9-ns"))
		fmt.Printf("| slowest read | %s | %s |\n", µs("idle-max-ns"), µs("sweep-max-ns"))
		fmt.Printf("| slowest store Load of a read | %s | %s |\n", µs("idle-max-load-ns"), µs("sweep-max-load-ns"))
		fmt.Printf("| reads/s | %s | %s |\n", count(m["idle-reads/s"]), count(m["sweep-reads/s"]))
		fmt.Println()
		fmt.Printf("The sweep took %s ms; its longest hold of a shard's write lock, by the wall clock from inside the store, took %s µs (%s of %s holds over 5 ms); read p99 during the sweep was %.1fx the p99 without it.\n\n",
			count(m["sweep-ms"]), count(m["max-hold-ns"]/1e3), count(m["holds-over-5ms"]), count(m["holds"]), m["p99-x"])
	}
}

// printTargets marks each target of the optimisation work as met or not.
func (t tables) printTargets(mem []sample) {
	fmt.Println("### Targets")
	fmt.Println()
	fmt.Println("| target | today | met |")
	fmt.Println("|---|---|---|")
	bare, get := item{name: bareServe}, item{name: redisGetBench}
	allocs := func(it item) float64 { return median(t.values(it, func(s sample) float64 { return s.allocs })) }
	row := func(target, today string, met bool, known bool) {
		verdict := "not met"
		switch {
		case !known:
			verdict = "not measured"
		case met:
			verdict = "met"
		}
		fmt.Printf("| %s | %s | %s |\n", target, today, verdict)
	}
	ratioRow := func(target, name string, floor item, limit float64) {
		r := median(t.ratios(item{name: serveBench + "/" + name}, floor))
		row(target, fmt.Sprintf("%.2fx", r), r <= limit, !math.IsNaN(r))
	}
	// cpuRow is ratioRow by CPU time, which the time spent waiting for a
	// CPU on a busy machine does not inflate.
	cpuRow := func(target, name string, floor item, limit float64) {
		r := median(t.cpuRatios(item{name: serveBench + "/" + name}, floor))
		row(target+" (CPU time)", fmt.Sprintf("%.2fx", r), r <= limit, !math.IsNaN(r))
	}
	ratioRow("memory, built-in cookie, read: at most 1.3x bare Gin", "sessionkit-memory-read", bare, 1.3)
	cpuRow("memory, built-in cookie, read: at most 1.3x bare Gin", "sessionkit-memory-read", bare, 1.3)
	extra := allocs(item{name: serveBench + "/sessionkit-memory-read"}) - allocs(bare)
	row("memory, built-in cookie, read: at most 3 allocations more than bare Gin", fmt.Sprintf("%.0f more", extra), extra <= 3, !math.IsNaN(extra))
	ratioRow("memory, built-in cookie, write: at most 1.8x bare Gin", "sessionkit-memory-write", bare, 1.8)
	cpuRow("memory, built-in cookie, write: at most 1.8x bare Gin", "sessionkit-memory-write", bare, 1.8)
	ratioRow("gin-contrib cookie store as carrier, read: at most 3x bare Gin", "sessionkit-contrib-cookie-read", bare, 3)
	cpuRow("gin-contrib cookie store as carrier, read: at most 3x bare Gin", "sessionkit-contrib-cookie-read", bare, 3)
	ratioRow("Redis read: at most 1.15x a raw GET", "sessionkit-redis-read", get, 1.15)
	ra := allocs(item{name: serveBench + "/sessionkit-redis-read"})
	row("Redis read: at most 30 allocations", fmt.Sprintf("%.0f", ra), ra <= 30, !math.IsNaN(ra))
	ratioRow("Redis write: at most 2.2x a raw GET", "sessionkit-redis-write", get, 2.2)

	heap := math.NaN()
	for _, s := range mem {
		if s.name == heapBench+"/sessionkit-memory-1000000" {
			heap = s.metrics["B/session"]
		}
	}
	row("live heap per idle session with one short string, at 1,000,000 sessions: at most 200 B", count(heap)+" B", heap <= 200, !math.IsNaN(heap))
	for _, s := range mem {
		if !strings.HasPrefix(s.name, sweepBench+"/") {
			continue
		}
		x := s.metrics["p99-x"]
		row("sweep under reads: read p99 during the sweep within 2x of p99 without it", fmt.Sprintf("%.1fx", x), x <= 2, true)
		hold := s.metrics["max-hold-ns"] / 1e6
		today := fmt.Sprintf("longest hold %.1f ms by the wall clock (%s of %s holds over 5 ms)", hold, count(s.metrics["holds-over-5ms"]), count(s.metrics["holds"]))
		row("sweep under reads: no lock held longer than 5 ms", today, hold <= 5, true)
	}
	hi := t.cpus[len(t.cpus)-1]
	for _, name := range []string{"sessionkit-memory-read", "sessionkit-contrib-cookie-read", "sessionkit-redis-read"} {
		s := median(t.speedups(serveParallelBench+"/"+name, bareParallel))
		row(fmt.Sprintf("%s: parallel reads scale like bare Gin (-cpu %s to %s, within 10%%)", name, t.cpus[0], hi),
			fmt.Sprintf("%.2f of bare's speed-up", s), s >= 0.9, !math.IsNaN(s))
	}
	fmt.Println()
}
