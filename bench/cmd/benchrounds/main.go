// Command benchrounds runs the peer benchmarks of the bench module as
// interleaved rounds and prints the medians as Markdown.
//
// A single `go test -bench` run on a shared machine measures each contender
// at a different moment, so a burst of load elsewhere lands on one contender
// and not on another. benchrounds instead runs every benchmark once per
// round (-count 1, each in its own process), in an order shuffled anew each
// round, so that every contender is sampled across the same span of time.
// Within a round it divides each contender's ns/op by bare Gin's (and each
// Redis contender's by a raw go-redis GET's), and it reports the median of
// those per-round ratios, which is robust to a slow round, next to the
// median ns/op and allocs/op. The live-heap and sweep benchmarks, which
// measure memory and latency percentiles within one run, run once after the
// rounds.
//
// Run it from the bench module's directory:
//
//	go run ./cmd/benchrounds -rounds 10
//
// It exits non-zero when a benchmark failed.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessionkit/session/internal/hostinfo"
)

// The benchmarks that the rounds interleave, and the floors they are divided by.
const (
	serveBench         = "BenchmarkServe"
	serveParallelBench = "BenchmarkServeParallel"
	redisGetBench      = "BenchmarkRedisGet"
	redisGetParallel   = "BenchmarkRedisGetParallel"
	heapBench          = "BenchmarkHeapPerSession"
	sweepBench         = "BenchmarkSweep"

	bareServe    = serveBench + "/bare-gin"
	bareParallel = serveParallelBench + "/bare-gin"
)

func main() {
	rounds := flag.Int("rounds", 10, "interleaved rounds of every request benchmark (0: none, only the heap and sweep benchmarks)")
	benchtime := flag.String("benchtime", "1s", "-benchtime of each request benchmark run")
	cpus := flag.String("cpu", "1,2", "GOMAXPROCS values of the parallel benchmarks, each run on its own")
	short := flag.Bool("short", false, "run the heap and sweep benchmarks at their -short sizes (10,000 sessions; a sweep of 20,000)")
	memory := flag.Bool("memory", true, "run the heap and sweep benchmarks after the rounds")
	seed := flag.Uint64("seed", 0, "seed of the shuffles (0: from the clock)")
	flag.Parse()
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	r := runner{benchtime: *benchtime, out: os.Stderr}
	if err := r.build(); err != nil {
		fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(r.bin))

	fmt.Printf("Command: `go run ./cmd/benchrounds %s` (seed %d)\n\n", strings.Join(os.Args[1:], " "), *seed)
	fmt.Printf("Machine: %s\n\n", machine())
	loadBefore := hostinfo.LoadAverage()

	var names []string
	if *rounds > 0 {
		var err error
		if names, err = r.discover(); err != nil {
			fatal(err)
		}
	}
	var items []item
	for _, name := range names {
		if strings.HasPrefix(name, serveParallelBench+"/") || name == redisGetParallel {
			for _, c := range strings.Split(*cpus, ",") {
				items = append(items, item{name: name, cpu: strings.TrimSpace(c)})
			}
			continue
		}
		items = append(items, item{name: name})
	}

	rng := rand.New(rand.NewPCG(*seed, *seed>>1|1))
	results := make([]map[item]sample, *rounds)
	failures := 0
	for i := range results {
		results[i] = map[item]sample{}
		order := slices.Clone(items)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		start := time.Now()
		for _, it := range order {
			s, err := r.run(it, r.benchtime, false)
			if err != nil {
				fmt.Fprintf(os.Stderr, "round %d: %s: %v\n", i+1, it, err)
				failures++
				continue
			}
			results[i][it] = s
		}
		fmt.Fprintf(os.Stderr, "round %d of %d: %d benchmarks in %s\n", i+1, *rounds, len(order), time.Since(start).Round(time.Second))
	}
	t := tables{rounds: results, items: items, cpus: strings.Split(*cpus, ",")}
	if *rounds > 0 {
		if loadBefore != "" {
			fmt.Printf("Load average (1, 5, 15 min) before the rounds: %s; after: %s\n\n", loadBefore, hostinfo.LoadAverage())
		}
		t.printServe()
		t.printParallel()
	}

	var memResults []sample
	if *memory {
		for _, name := range []string{heapBench, sweepBench} {
			ss, err := r.runAll(name, *short)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
				failures++
			}
			memResults = append(memResults, ss...)
		}
		printMemory(memResults)
		if loadBefore != "" {
			fmt.Printf("Load average (1, 5, 15 min) at the start: %s; after the heap and sweep benchmarks: %s\n\n", loadBefore, hostinfo.LoadAverage())
		}
	}
	t.printTargets(memResults)
	if failures > 0 {
		fmt.Fprintf(os.Stderr, "%d benchmark runs failed\n", failures)
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchrounds:", err)
	os.Exit(1)
}

// item is one benchmark run of a round: a benchmark name and, for the
// parallel ones, the GOMAXPROCS it runs with ("" for the default).
type item struct {
	name string
	cpu  string
}

func (it item) String() string {
	if it.cpu == "" {
		return it.name
	}
	return it.name + " -cpu " + it.cpu
}

// sample is one benchmark result line.
type sample struct {
	name    string
	ns      float64
	bytes   float64
	allocs  float64
	metrics map[string]float64 // units reported with b.ReportMetric
}

// runner runs the compiled test binary of the bench module.
type runner struct {
	bin       string
	benchtime string
	out       io.Writer
}

// build compiles the bench package's tests once, so that every round runs
// the same binary and no round pays for compiling.
func (r *runner) build() error {
	dir, err := os.MkdirTemp("", "benchrounds-")
	if err != nil {
		return err
	}
	r.bin = filepath.Join(dir, "bench.test")
	cmd := exec.Command("go", "test", "-c", "-o", r.bin, ".")
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("go test -c (run benchrounds from the bench module's directory): %w", err)
	}
	return nil
}

// discover runs each request benchmark once (-benchtime 1x) and returns the
// names of those that ran: Redis ones skip when there is no Redis.
func (r *runner) discover() ([]string, error) {
	pattern := fmt.Sprintf("^(%s|%s|%s|%s)$", serveBench, serveParallelBench, redisGetBench, redisGetParallel)
	out, err := r.exec("-test.bench", pattern, "-test.benchtime", "1x")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range parse(out) {
		names = append(names, s.name)
	}
	if !slices.Contains(names, bareServe) {
		return nil, fmt.Errorf("no %s in:\n%s", bareServe, out)
	}
	return names, nil
}

// run runs one item once and returns its result.
func (r *runner) run(it item, benchtime string, short bool) (sample, error) {
	args := []string{"-test.bench", benchRegexp(it.name), "-test.benchtime", benchtime, "-test.benchmem"}
	if it.cpu != "" {
		args = append(args, "-test.cpu", it.cpu)
	}
	if short {
		args = append(args, "-test.short")
	}
	out, err := r.exec(args...)
	if err != nil {
		return sample{}, err
	}
	for _, s := range parse(out) {
		if s.name == it.name {
			return s, nil
		}
	}
	return sample{}, fmt.Errorf("no result in:\n%s", out)
}

// runAll runs every sub-benchmark of the top-level benchmark name once
// (-benchtime 1x: each measures a whole scenario per iteration).
func (r *runner) runAll(name string, short bool) ([]sample, error) {
	args := []string{"-test.bench", "^" + name + "$", "-test.benchtime", "1x", "-test.timeout", "60m"}
	if short {
		args = append(args, "-test.short")
	}
	out, err := r.exec(args...)
	return parse(out), err
}

func (r *runner) exec(args ...string) ([]byte, error) {
	cmd := exec.Command(r.bin, append([]string{"-test.run", "^$", "-test.count", "1"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(r.bin), strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out, nil
}

// benchRegexp returns the -test.bench pattern that selects exactly name.
func benchRegexp(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// resultLine matches a benchmark result: the name (with the -GOMAXPROCS
// suffix that the testing package adds above 1), the iterations, and
// value-unit pairs.
var resultLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+(.+)$`)

// parse returns the results in a test binary's output.
func parse(out []byte) []sample {
	var ss []sample
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := resultLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := sample{name: stripProcs(m[1]), metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = v
			case "B/op":
				s.bytes = v
			case "allocs/op":
				s.allocs = v
			default:
				s.metrics[f[i+1]] = v
			}
		}
		ss = append(ss, s)
	}
	return ss
}

// procsSuffix is the -GOMAXPROCS suffix of a result name. None of the
// bench module's sub-benchmark names ends in a dash and digits of their own
// except the heap ones, whose size is always followed by the suffix when
// GOMAXPROCS > 1 and runs with the default GOMAXPROCS.
var procsSuffix = regexp.MustCompile(`-\d+$`)

func stripProcs(name string) string {
	if runtime.NumCPU() == 1 && strings.HasPrefix(name, heapBench) {
		return name
	}
	return procsSuffix.ReplaceAllString(name, "")
}

// machine describes the machine the numbers come from.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s/%s, %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
