package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name under which the sentinels of a [Sentinel] set
// monitor its master.
const MasterName = "mymaster"

// Sentinel timings. Redis's defaults (down-after-milliseconds 30 s,
// failover-timeout 180 s) would make a failover test take minutes: a
// master is judged down after a second without answers, and a failover that
// stalls is tried again after two. Loopback answers in well under a
// millisecond, so a second of silence is a dead master, not a slow one.
const (
	sentinelDownAfter       = 1000 // ms
	sentinelFailoverTimeout = 2000 // ms
	sentinelQuorum          = 2    // of three sentinels
	sentinelCount           = 3
)

// dataNodeArgs are the arguments of every data node of a Sentinel set or
// Cluster: a replica syncs at once instead of after the 5 s Redis waits by
// default for more replicas to share a diskless transfer.
var dataNodeArgs = []string{"--repl-diskless-sync-delay", "0"}

// Sentinel is a Sentinel set on loopback: one master, one replica and three
// sentinels that monitor the master as [MasterName]. Start one for a test
// with [Topology.Start] of [SentinelSet], or outside tests with
// [LaunchSentinel].
type Sentinel struct {
	// Data holds the master and the replica, in the roles they had at the
	// start; a failover swaps them (see [Sentinel.Master]).
	Data []*Server
	// Sentinels holds the three sentinel processes.
	Sentinels []*Server
}

var _ Deployment = (*Sentinel)(nil)

// LaunchSentinel starts a Sentinel set with its files under dir and waits
// until the sentinels know the master, its replica and each other, so that
// a failover can start at once. Stop it with [Sentinel.Close].
func LaunchSentinel(ctx context.Context, dir string) (_ *Sentinel, err error) {
	bin, _, err := lookBinaries(false)
	if err != nil {
		return nil, err
	}
	s := &Sentinel{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	master, err := startServer(bin, mkdir(dir, "master"), dataNodeArgs)
	if err != nil {
		return nil, err
	}
	s.Data = append(s.Data, master)
	host, port, _ := net.SplitHostPort(master.Addr)
	replica, err := startServer(bin, mkdir(dir, "replica"), append([]string{"--replicaof", host, port}, dataNodeArgs...))
	if err != nil {
		return nil, err
	}
	s.Data = append(s.Data, replica)
	rhost, rport, _ := net.SplitHostPort(replica.Addr)

	// Each sentinel is told the others and the replica up front, with IDs
	// made here: left to find them through hello messages (every 2 s) a
	// new set takes seconds before it could authorize a failover.
	type sentinelID struct {
		port int
		id   string
	}
	ids := make([]sentinelID, sentinelCount)
	for i := range ids {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		var b [20]byte
		_, _ = rand.Read(b[:])
		ids[i] = sentinelID{p, hex.EncodeToString(b[:])}
	}
	for i, me := range ids {
		sdir := mkdir(dir, "sentinel"+strconv.Itoa(i))
		var conf strings.Builder
		fmt.Fprintf(&conf, "bind 127.0.0.1\nport %d\ndir %q\nlogfile %q\nsentinel myid %s\n",
			me.port, sdir, filepath.Join(sdir, "redis.log"), me.id)
		fmt.Fprintf(&conf, "sentinel monitor %s %s %s %d\n", MasterName, host, port, sentinelQuorum)
		fmt.Fprintf(&conf, "sentinel down-after-milliseconds %s %d\n", MasterName, sentinelDownAfter)
		fmt.Fprintf(&conf, "sentinel failover-timeout %s %d\n", MasterName, sentinelFailoverTimeout)
		fmt.Fprintf(&conf, "sentinel parallel-syncs %s 1\n", MasterName)
		fmt.Fprintf(&conf, "sentinel known-replica %s %s %s\n", MasterName, rhost, rport)
		for _, other := range ids {
			if other != me {
				fmt.Fprintf(&conf, "sentinel known-sentinel %s 127.0.0.1 %d %s\n", MasterName, other.port, other.id)
			}
		}
		// Sentinel rewrites its config file as it learns the set, so it
		// gets a file of its own rather than command-line options.
		path := filepath.Join(sdir, "sentinel.conf")
		if err := os.WriteFile(path, []byte(conf.String()), 0o600); err != nil {
			return nil, err
		}
		sen := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(me.port)), dir: sdir, args: []string{bin, path, "--sentinel"}}
		if err := sen.run(); err != nil {
			return nil, err
		}
		s.Sentinels = append(s.Sentinels, sen)
	}
	if err := awaitReady(ctx, s.Wait, "Sentinel set"); err != nil {
		return nil, err
	}
	return s, nil
}

// NewUniversalClient returns a redis.NewFailoverClient of the set: it asks
// the sentinels for the master and follows a failover without a restart.
func (s *Sentinel) NewUniversalClient() redis.UniversalClient {
	return redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    MasterName,
		SentinelAddrs: addrsOf(s.Sentinels),
		DialTimeout:   dialTimeout,
		ReadTimeout:   ioTimeout,
		WriteTimeout:  ioTimeout,
		MaxRetries:    -1,
		DialerRetries: 1,
	})
}

// Master returns the data server the sentinels name as master now. It
// fails unless every running sentinel names the same one.
func (s *Sentinel) Master(ctx context.Context) (*Server, error) {
	var addr string
	for _, sen := range s.Sentinels {
		if !sen.Running() {
			continue
		}
		c := redis.NewSentinelClient(&redis.Options{Addr: sen.Addr, DialTimeout: dialTimeout, MaxRetries: -1})
		got, err := c.GetMasterAddrByName(ctx, MasterName).Result()
		_ = c.Close()
		if err != nil {
			return nil, fmt.Errorf("sentinel %s: %w", sen.Addr, err)
		}
		a := net.JoinHostPort(got[0], got[1])
		if addr != "" && a != addr {
			return nil, fmt.Errorf("sentinels disagree on the master: %s and %s", addr, a)
		}
		addr = a
	}
	for _, d := range s.Data {
		if d.Addr == addr {
			return d, nil
		}
	}
	return nil, fmt.Errorf("the sentinels name %q, which is not in the set", addr)
}

// Masters returns the master the sentinels name.
func (s *Sentinel) Masters(ctx context.Context) ([]*Server, error) {
	m, err := s.Master(ctx)
	if err != nil {
		return nil, err
	}
	return []*Server{m}, nil
}

// Wait waits until the sentinels agree on a running master that answers
// as one, every running replica is linked to it and known to the
// sentinels, and the sentinels know each other well enough to authorize a
// failover (SENTINEL CKQUORUM).
func (s *Sentinel) Wait(ctx context.Context) error {
	return poll(ctx, func(ctx context.Context) error {
		m, err := s.Master(ctx)
		if err != nil {
			return err
		}
		if !m.Running() {
			return fmt.Errorf("the sentinels still name %s, which is down", m.Addr)
		}
		if err := hasRole(ctx, m, "master"); err != nil {
			return err
		}
		replicas := 0
		for _, d := range s.Data {
			if d == m || !d.Running() {
				continue
			}
			replicas++
			if err := linkedTo(ctx, d, m.Addr); err != nil {
				return err
			}
		}
		for _, sen := range s.Sentinels {
			if !sen.Running() {
				continue
			}
			c := redis.NewSentinelClient(&redis.Options{Addr: sen.Addr, DialTimeout: dialTimeout, MaxRetries: -1})
			known, err := c.Replicas(ctx, MasterName).Result()
			if err == nil {
				err = c.CkQuorum(ctx, MasterName).Err()
			}
			_ = c.Close()
			if err != nil {
				return fmt.Errorf("sentinel %s: %w", sen.Addr, err)
			}
			if up := upReplicas(known); up < replicas {
				return fmt.Errorf("sentinel %s knows %d of %d replicas up", sen.Addr, up, replicas)
			}
		}
		return nil
	})
}

// upReplicas counts the replicas in a SENTINEL REPLICAS reply that are
// neither down nor disconnected.
func upReplicas(replicas []map[string]string) int {
	n := 0
	for _, r := range replicas {
		if flags := r["flags"]; flags == "slave" {
			n++
		}
	}
	return n
}

// Close stops every process of the set.
func (s *Sentinel) Close() {
	for _, sen := range s.Sentinels {
		sen.kill()
	}
	for _, d := range s.Data {
		d.kill()
	}
}

// hasRole checks that the server answers ROLE with role ("master" or
// "slave").
func hasRole(ctx context.Context, s *Server, role string) error {
	c := s.newClient()
	defer c.Close()
	reply, err := c.Do(ctx, "ROLE").Slice()
	if err != nil {
		return fmt.Errorf("ROLE on %s: %w", s.Addr, err)
	}
	if len(reply) == 0 || reply[0] != role {
		return fmt.Errorf("%s is %v, not %s", s.Addr, reply[0], role)
	}
	return nil
}

// linkedTo checks that the replica r replicates from master and its link
// is up, so that it holds the master's data.
func linkedTo(ctx context.Context, r *Server, master string) error {
	c := r.newClient()
	defer c.Close()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("INFO on %s: %w", r.Addr, err)
	}
	f := infoFields(info)
	if f["role"] != "slave" {
		return fmt.Errorf("%s is %s, not a replica", r.Addr, f["role"])
	}
	if got := net.JoinHostPort(f["master_host"], f["master_port"]); got != master {
		return fmt.Errorf("%s replicates %s, not %s", r.Addr, got, master)
	}
	if f["master_link_status"] != "up" {
		return fmt.Errorf("%s: link to %s is %s", r.Addr, master, f["master_link_status"])
	}
	return nil
}

// mkdir makes the directory dir/name for one process's files.
func mkdir(dir, name string) string {
	p := filepath.Join(dir, name)
	_ = os.MkdirAll(p, 0o700)
	return p
}
