package main

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// maxLossNotes bounds the lost writes a report describes one by one.
const maxLossNotes = 10

// stats is what one client counted; report merges them.
type stats struct {
	latencies  []time.Duration // of the mix's requests, in order
	requests   [numOps]int
	errors     map[string]int // by "op: kind"
	lostWrites int
	checked    int // ledger values read back after the load
	lossNotes  []string

	// window is the declared failover, nil without one; failures it covers
	// are counted apart.
	window         *failover
	lastStart      time.Time // of the request last sent
	lastEnd        time.Time // when its answer (or failure) came
	failoverErrors map[string]int
	failoverLost   int
}

func newStats(window *failover) stats {
	return stats{errors: map[string]int{}, failoverErrors: map[string]int{}, window: window}
}

func (s *stats) record(o op, d time.Duration) {
	s.requests[o]++
	if o != opVerify {
		s.latencies = append(s.latencies, d)
	}
}

// failed counts a request that got no answer (err) or a status the client
// did not expect.
func (s *stats) failed(o op, status int, err error) {
	if err != nil {
		s.fail(o, errorKind(err))
		return
	}
	s.fail(o, fmt.Sprint(status))
}

// fail counts a failure of the request last sent.
func (s *stats) fail(o op, kind string) {
	s.count(o, kind, o != opVerify && s.window.overlaps(s.lastStart, s.lastEnd, 0))
}

// failAt counts a failure whose cause happened at t, such as the
// acknowledgement of a write found lost; a cause up to slack before the
// kill is the failover's.
func (s *stats) failAt(o op, kind string, t time.Time, slack time.Duration) {
	s.count(o, kind, s.window.covers(t, slack))
}

func (s *stats) count(o op, kind string, inFailover bool) {
	if inFailover {
		s.failoverErrors[o.String()+": "+kind]++
		return
	}
	s.errors[o.String()+": "+kind]++
}

// lose counts a lost write acknowledged at t.
func (s *stats) lose(t time.Time) {
	if s.window.covers(t, replicationSlack) {
		s.failoverLost++
		return
	}
	s.lostWrites++
}

func (s *stats) noteLoss(note string) {
	if len(s.lossNotes) < maxLossNotes {
		s.lossNotes = append(s.lossNotes, note)
	}
}

// report is the outcome of a run.
type report struct {
	cfg       config
	backend   string
	procs     int
	loadavg   string        // the machine's load averages at the start, when known
	elapsed   time.Duration // from the first request to the last of the mix
	requests  [numOps]int
	p50, p99  time.Duration
	max       time.Duration
	errors    map[string]int
	lost      int
	checked   int
	lossNotes []string
	// heapBefore and heapAfter are the live heap after a GC, in bytes,
	// with the instances started and before the load, and after it.
	heapBefore, heapAfter uint64
	sessionsAfter         int // live sessions counted by the store

	// mastersBefore and mastersAfter are the masters of a deployment the
	// command started, at the start and after the load.
	mastersBefore, mastersAfter []string

	failover       *failover // nil without -failover
	failoverErrors map[string]int
	failoverLost   int
}

// merge adds one client's counts. Latencies are summarised by summarise.
func (r *report) merge(s *stats) {
	for o, n := range s.requests {
		r.requests[o] += n
	}
	for k, n := range s.errors {
		r.errors[k] += n
	}
	for k, n := range s.failoverErrors {
		r.failoverErrors[k] += n
	}
	r.lost += s.lostWrites
	r.failoverLost += s.failoverLost
	r.checked += s.checked
	for _, n := range s.lossNotes {
		if len(r.lossNotes) < maxLossNotes {
			r.lossNotes = append(r.lossNotes, n)
		}
	}
}

// summarise sets the latency figures from every client's samples, sorting
// them in place.
func (r *report) summarise(all []time.Duration) {
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	r.p50 = percentile(all, 50)
	r.p99 = percentile(all, 99)
	r.max = all[len(all)-1]
}

// percentile returns the nearest-rank p-th percentile of sorted samples: the
// smallest sample that at least p% of the samples do not exceed.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// mixRequests is how many requests of the mix were sent (the read-back
// after the load is not counted).
func (r *report) mixRequests() int {
	n := 0
	for o, k := range r.requests {
		if op(o) != opVerify {
			n += k
		}
	}
	return n
}

func count(byKind map[string]int) int {
	n := 0
	for _, k := range byKind {
		n += k
	}
	return n
}

func (r *report) errorCount() int { return count(r.errors) }

// passed reports whether the run had no errors and lost no acknowledged
// write outside a declared failover (nor in it, when writes waited for
// replicas), and the failover, if any, recovered.
func (r *report) passed() bool {
	if r.cfg.replicaAcks > 0 && r.failoverLost > 0 {
		return false
	}
	return r.errorCount() == 0 && r.lost == 0 && (r.failover == nil || r.failover.err == nil)
}

func (r *report) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.mixRequests()) / r.elapsed.Seconds()
}

func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("loadtest: %d clients, %d instances, %s, seed %d, %s balance, GOMAXPROCS %d",
		r.cfg.clients, r.cfg.instances, r.cfg.duration, r.cfg.seed, r.cfg.balance, r.procs)
	if r.loadavg != "" {
		p("machine:  %d CPUs, load average %s at the start (other processes compete too)", runtime.NumCPU(), r.loadavg)
	}
	p("redis:    %s", r.backend)
	p("requests: %d in %.1fs = %.0f req/s (read %d, write %d, login %d, logout %d)",
		r.mixRequests(), r.elapsed.Seconds(), r.rate(),
		r.requests[opRead], r.requests[opWrite], r.requests[opLogin], r.requests[opLogout])
	p("latency:  p50 %s, p99 %s, max %s", round(r.p50), round(r.p99), round(r.max))
	p("errors:   %d", r.errorCount())
	for _, k := range slices.Sorted(maps.Keys(r.errors)) {
		p("          %-40s %d", k, r.errors[k])
	}
	if f := r.failover; f != nil {
		switch {
		case f.err != nil:
			p("failover: FAILED: %v", f.err)
		default:
			p("failover: master %s killed %s into the run, a replica took over within %s; %s grace after",
				f.victim, f.at, round(f.took()), f.grace)
			if f.revive {
				p("          %s revived; it had rejoined as a replica %s after the kill", f.victim, round(f.recovered()))
			}
		}
		p("          errors in the failover window: %d (not counted above)", count(r.failoverErrors))
		for _, k := range slices.Sorted(maps.Keys(r.failoverErrors)) {
			p("          %-40s %d", k, r.failoverErrors[k])
		}
		excused := "not counted above"
		if r.cfg.replicaAcks > 0 {
			excused = "each fails the run: writes waited for replicas"
		}
		p("          writes acknowledged in the window (or %s before) and lost: %d (%s)", replicationSlack, r.failoverLost, excused)
	}
	if r.mastersBefore != nil {
		switch {
		case r.mastersAfter == nil:
			p("masters:  %s at the start; not found after the load", strings.Join(r.mastersBefore, ", "))
		case slices.Equal(r.mastersBefore, r.mastersAfter):
			p("masters:  unchanged (%s)", strings.Join(r.mastersBefore, ", "))
		default:
			p("masters:  CHANGED: %s at the start, %s after the load", strings.Join(r.mastersBefore, ", "), strings.Join(r.mastersAfter, ", "))
		}
	}
	p("writes:   %d acknowledged values read back after the load, %d lost", r.checked, r.lost)
	for _, n := range r.lossNotes {
		p("          %s", n)
	}
	p("sessions: %d live after the load", r.sessionsAfter)
	p("heap:     %s before, %s after (live heap after GC, instances and clients together)",
		mib(r.heapBefore), mib(r.heapAfter))
	if r.passed() {
		p("PASS")
	} else {
		p("FAIL")
	}
}

// round keeps three significant digits or so, enough for a latency.
func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func mib(b uint64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(b)/(1<<20)), ".0") + " MiB"
}
