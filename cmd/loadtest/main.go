// Command loadtest drives many concurrent clients over real HTTP against
// several sessionkit application instances that share one Redis, and checks
// that no acknowledged write was lost.
//
// Each instance is an http.Server on its own loopback port with its own
// session manager and Redis client, as separate processes behind a load
// balancer would be. Each client has a cookie jar and sends, to an instance
// picked at random (or in turn), a mix of reads (90%), writes, logins (a
// renewal when it already has a session) and logouts, for a bounded time.
// Every client keeps a ledger of the last value the app acknowledged (2xx)
// for each key of its current session; a read that disagrees with it is an
// error, and when the load stops every ledger entry is read back: a
// mismatch is a lost write. A session the client itself logged out of holds
// nothing to check.
//
// The report gives requests per second, p50/p99/max latency, errors by kind
// and the live heap (after a GC) before and after the run. The heap is the
// process's: the instances and the clients share it. The exit status is 0
// when there were no errors and no lost writes, 1 otherwise, 2 when the
// run could not start.
//
// Build it without -race, which slows everything tenfold:
//
//	go build -o loadtest ./cmd/loadtest
//	./loadtest -clients 1000 -duration 60s -instances 3 -topology single
//
// Without -redis the command starts its own Redis of the -topology given on
// free loopback ports, through internal/redistest, and stops it at the end:
// one redis-server; a Sentinel set (a master, a replica, three sentinels);
// or a Cluster of three masters with a replica each (which needs redis-cli
// too). Its clients are redistest's, with short timeouts (a one-second read
// timeout, no retries) so that a request to a dead server fails fast. With
// -redis it uses that Redis under a fresh key prefix: for a single
// server an address or a redis:// URL, for Sentinel the sentinels'
// addresses (comma-separated) and -master, for Cluster some nodes'
// addresses; its clients have go-redis's default timeouts.
//
// With -failover the command kills a master of the Sentinel set or Cluster
// it started, that long into the run, and waits until a replica has taken
// over. Requests that fail from the kill until then, plus -failover-grace,
// are expected (the app fails closed) and reported apart; so are writes
// acknowledged in that window, or a second before it, and lost, which
// asynchronous replication allows. Neither fails the run; errors outside the
// window, writes lost outside it, and a failover that never completes do.
// The read-back after the load waits out the grace, and none of its
// failures is excused.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitPass  = 0 // no errors, no lost writes
	exitFail  = 1 // errors or lost writes
	exitSetup = 2 // bad flags, or the instances or Redis did not start
)

// config is what the flags set.
type config struct {
	clients    int
	duration   time.Duration
	instances  int
	topology   string // single, sentinel or cluster
	redis      string // an existing Redis; "" to start one
	master     string // the Sentinel master's name
	seed       uint64
	balance    string        // random or roundrobin
	timeout    time.Duration // of one HTTP request
	cpuProfile string        // where to write a CPU profile of the load, "" for none
	appLog     bool          // let the instances log their errors to stderr
	// failover is when to kill a master of the Redis the command started;
	// 0 for never.
	failover      time.Duration
	failoverGrace time.Duration
	deadAfter     time.Duration // how long a silent master lives on
}

// Topologies of the Redis the instances share.
const (
	topologySingle   = "single"
	topologySentinel = "sentinel"
	topologyCluster  = "cluster"
)

// Ways a client picks the instance of its next request.
const (
	balanceRandom     = "random"
	balanceRoundRobin = "roundrobin"
)

func parseConfig(args []string, errOut io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.IntVar(&c.clients, "clients", 50, "concurrent clients, each with its own cookie jar")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long the clients send requests")
	fs.IntVar(&c.instances, "instances", 3, "app instances, each an HTTP server with its own session manager")
	fs.StringVar(&c.topology, "topology", topologySingle, "Redis topology: single, sentinel or cluster")
	fs.StringVar(&c.redis, "redis", "", "an existing Redis to use instead of starting one: address or redis:// URL (single), sentinel addresses (sentinel) or node addresses (cluster), comma-separated")
	fs.StringVar(&c.master, "master", "mymaster", "the Sentinel master's name, with -topology sentinel")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the clients' choices, so that a run can be repeated")
	fs.StringVar(&c.balance, "balance", balanceRandom, "how a client picks an instance: random or roundrobin")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "timeout of one HTTP request; a request still unanswered then counts as an error")
	fs.DurationVar(&c.failover, "failover", 0, "kill a master this long into the run (Sentinel or Cluster started by loadtest); failures until the replica took over, plus -failover-grace, are counted apart")
	fs.DurationVar(&c.failoverGrace, "failover-grace", 5*time.Second, "with -failover: how long after the takeover failures still count as the failover's")
	fs.DurationVar(&c.deadAfter, "dead-after", 5*time.Second, "for a Sentinel set or Cluster started by loadtest: how long a silent master is not yet taken for dead (down-after-milliseconds, cluster-node-timeout)")
	fs.BoolVar(&c.appLog, "applog", false, "let the instances log their errors to stderr (the report counts them either way)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the load (instances and clients) to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.clients < 1:
		return c, errors.New("-clients must be at least 1")
	case c.duration <= 0:
		return c, errors.New("-duration must be positive")
	case c.instances < 1:
		return c, errors.New("-instances must be at least 1")
	case c.timeout <= 0:
		return c, errors.New("-timeout must be positive")
	case c.topology != topologySingle && c.topology != topologySentinel && c.topology != topologyCluster:
		return c, fmt.Errorf("-topology %q: want single, sentinel or cluster", c.topology)
	case c.balance != balanceRandom && c.balance != balanceRoundRobin:
		return c, fmt.Errorf("-balance %q: want random or roundrobin", c.balance)
	case c.deadAfter < time.Millisecond:
		return c, errors.New("-dead-after must be at least 1ms")
	case c.failover < 0 || c.failoverGrace < 0:
		return c, errors.New("-failover and -failover-grace must not be negative")
	case c.failover >= c.duration:
		return c, errors.New("-failover must come before the end of -duration")
	case c.failover > 0 && (c.topology == topologySingle || c.redis != ""):
		return c, errors.New("-failover needs -topology sentinel or cluster, started by loadtest (no -redis): a single server has no replica to take over")
	}
	return c, nil
}

// run is the command with its arguments and outputs: it starts Redis and
// the instances, runs the load, prints the report to out and returns the
// exit status.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	_, status := runReport(ctx, args, out, errOut)
	return status
}

// runReport is run that also returns the report, nil when the run could
// not start.
func runReport(ctx context.Context, args []string, out, errOut io.Writer) (*report, int) {
	cfg, err := parseConfig(args, errOut)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(errOut, "loadtest:", err)
		}
		return nil, exitSetup
	}
	be, err := startBackend(cfg)
	if err != nil {
		fmt.Fprintln(errOut, "loadtest:", err)
		return nil, exitSetup
	}
	defer be.close()
	rep, err := runLoad(ctx, cfg, be)
	if rep == nil {
		fmt.Fprintln(errOut, "loadtest:", err)
		return nil, exitSetup
	}
	rep.print(out)
	if err != nil { // the instances did not stop cleanly
		fmt.Fprintln(errOut, "loadtest: stopping the instances:", err)
		return rep, exitFail
	}
	if !rep.passed() {
		return rep, exitFail
	}
	return rep, exitPass
}
