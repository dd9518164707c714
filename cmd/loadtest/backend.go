package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// backend is where the instances keep their sessions.
type backend struct {
	// name says what it is, for the report.
	name string
	// newStore gives one instance its store and what to close with it: each
	// instance has a Redis client of its own, as a separate process would.
	newStore func() (store.Store, io.Closer)
	// close stops whatever startBackend started.
	close func()
	// deployment is the Redis the command started, nil for one it was
	// given.
	deployment redistest.Deployment
	// masters are the deployment's masters at the start, sorted.
	masters []string
}

// startBackend connects to the Redis that -redis names, or starts one of
// the topology that -topology names.
func startBackend(cfg config) (*backend, error) {
	prefix := newPrefix()
	var newClient func() redis.UniversalClient
	be := &backend{close: func() {}}
	if cfg.redis == "" {
		d, err := launch(cfg.topology, cfg.deadAfter)
		if err != nil {
			return nil, err
		}
		be.deployment = d.Deployment
		be.masters = d.masters
		be.close = d.close
		be.name = d.name
		newClient = d.newClient
	} else {
		var err error
		be.name, newClient, err = connect(cfg.topology, strings.Split(cfg.redis, ","), cfg.master)
		if err != nil {
			return nil, err
		}
	}
	be.name += ", key prefix " + prefix
	be.newStore = func() (store.Store, io.Closer) {
		c := newClient()
		return redisstore.New(c, redisstore.WithPrefix(prefix)), c
	}
	return be, nil
}

// launched is a Redis deployment the command started.
type launched struct {
	redistest.Deployment
	masters   []string
	name      string
	newClient func() redis.UniversalClient
	close     func()
}

// launch starts a deployment of the topology named on loopback, with its
// files in a temporary directory that close removes.
func launch(topology string, deadAfter time.Duration) (*launched, error) {
	var tp redistest.Topology
	for _, t := range redistest.Topologies() {
		if t.Name == topology {
			tp = t
		}
	}
	dir, err := os.MkdirTemp("", "loadtest-"+topology+"-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := tp.Launch(ctx, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting a %s Redis: %w", topology, err)
	}
	l := &launched{Deployment: d, close: func() { d.Close(); _ = os.RemoveAll(dir) }}
	if err := slowDownFailover(ctx, d, deadAfter); err != nil {
		l.close()
		return nil, err
	}
	masters, err := mastersOf(ctx, d)
	if err != nil {
		l.close()
		return nil, err
	}
	l.masters = masters
	// The instances connect as an application would, with go-redis's
	// defaults, not with redistest's clients: their 200 ms dial timeout,
	// right for tests that kill servers, fails requests on a machine that
	// is merely busy.
	var addrs []string
	master := ""
	switch d := d.(type) {
	case *redistest.Server:
		addrs = []string{d.Addr}
		l.name = "single redis-server " + d.Addr
	case *redistest.Sentinel:
		for _, s := range d.Sentinels {
			addrs = append(addrs, s.Addr)
		}
		master = redistest.MasterName
		l.name = fmt.Sprintf("Sentinel set: master %s with %d replica, %d sentinels", masters[0], len(d.Data)-1, len(d.Sentinels))
	case *redistest.Cluster:
		for _, n := range d.Nodes {
			addrs = append(addrs, n.Addr)
		}
		l.name = fmt.Sprintf("Cluster: %d masters, %d nodes", len(masters), len(d.Nodes))
	default:
		l.close()
		return nil, fmt.Errorf("a %s Redis of type %T: unknown to loadtest", topology, d)
	}
	_, l.newClient, err = connect(topology, addrs, master)
	if err != nil {
		l.close()
		return nil, err
	}
	l.name += ", started by loadtest"
	return l, nil
}

// slowDownFailover makes the deployment take a master for dead only after
// it has been silent for deadAfter (Sentinel's down-after-milliseconds,
// cluster-node-timeout). redistest sets a second, right for fault tests on
// an idle machine; under this load on a busy one a live master misses its
// heartbeats for that long and a replica takes over unasked, losing what
// it had not yet replicated.
func slowDownFailover(ctx context.Context, d redistest.Deployment, deadAfter time.Duration) error {
	ms := fmt.Sprint(deadAfter.Milliseconds())
	var servers []*redistest.Server
	var args [][]any
	switch d := d.(type) {
	case *redistest.Sentinel:
		servers = d.Sentinels
		args = [][]any{
			{"SENTINEL", "SET", redistest.MasterName, "down-after-milliseconds", ms},
			{"SENTINEL", "SET", redistest.MasterName, "failover-timeout", fmt.Sprint(2 * deadAfter.Milliseconds())},
		}
	case *redistest.Cluster:
		servers = d.Nodes
		args = [][]any{{"CONFIG", "SET", "cluster-node-timeout", ms}}
	}
	for _, srv := range servers {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr})
		for _, a := range args {
			if err := c.Do(ctx, a...).Err(); err != nil {
				_ = c.Close()
				return fmt.Errorf("%s on %s: %w", a, srv.Addr, err)
			}
		}
		_ = c.Close()
	}
	return nil
}

// mastersOf returns the addresses of d's masters, asking again while a
// busy machine makes redistest's one-second timeout expire.
func mastersOf(ctx context.Context, d redistest.Deployment) ([]string, error) {
	for {
		masters, err := d.Masters(ctx)
		if err == nil {
			addrs := make([]string, len(masters))
			for i, m := range masters {
				addrs[i] = m.Addr
			}
			slices.Sort(addrs)
			return addrs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("finding the masters: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// connect returns the clients of a Redis of the topology at addrs (the
// sentinels' for Sentinel, some nodes' for Cluster), with go-redis's
// default timeouts.
func connect(topology string, addrs []string, master string) (name string, newClient func() redis.UniversalClient, err error) {
	switch topology {
	case topologySentinel:
		opts := &redis.FailoverOptions{MasterName: master, SentinelAddrs: addrs}
		return fmt.Sprintf("Sentinel %s, master %q", strings.Join(addrs, ","), master),
			func() redis.UniversalClient { return redis.NewFailoverClient(opts) }, nil
	case topologyCluster:
		opts := &redis.ClusterOptions{Addrs: addrs}
		return "Cluster " + strings.Join(addrs, ","), func() redis.UniversalClient { return redis.NewClusterClient(opts) }, nil
	}
	opts := &redis.Options{Addr: addrs[0]}
	if strings.Contains(addrs[0], "://") {
		opts, err = redis.ParseURL(addrs[0])
		if err != nil {
			return "", nil, fmt.Errorf("-redis: %w", err)
		}
	}
	return "single Redis " + opts.Addr, func() redis.UniversalClient { return redis.NewClient(opts) }, nil
}

// newPrefix returns a key prefix of its own for one run, so that a run on
// an existing Redis never meets another run's sessions.
func newPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "loadtest-" + hex.EncodeToString(b[:])
}
