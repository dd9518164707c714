package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Deployment is a running Redis of one topology (a single server, a
// Sentinel set or a Cluster), made of redis-server processes private to the
// caller. It is what [Topology.Launch] returns, so that code outside tests
// (a load test command) can start one, point clients at it and stop it.
type Deployment interface {
	// NewUniversalClient returns a new client of the deployment, of the kind
	// an application would use for its topology (redis.NewClient,
	// redis.NewFailoverClient or redis.NewClusterClient), with short
	// timeouts so that requests to a dead server fail fast. The caller
	// closes it.
	NewUniversalClient() redis.UniversalClient
	// Masters returns the servers that take writes now: the single server,
	// the master the sentinels name, or every master that serves slots.
	Masters(ctx context.Context) ([]*Server, error)
	// Wait waits until every running process is back in its place: the
	// single server answers; the sentinels agree on a master that answers
	// as one and every running replica is linked to it; every running
	// Cluster node reports the cluster ok with every slot served and every
	// running replica linked to its master.
	Wait(ctx context.Context) error
	// Close stops every process of the deployment. Files stay in the
	// directory given at launch, which belongs to the caller.
	Close()
}

// ErrNoBinary is the error a Launch function returns when a program it
// needs (redis-server, or redis-cli for a Cluster) is not installed.
var ErrNoBinary = errors.New("redistest: a Redis program is not installed (apt-get install redis-server redis-tools)")

// lookBinaries returns the paths of redis-server and, when cli is true, of
// redis-cli.
func lookBinaries(cli bool) (server, client string, err error) {
	server, err = exec.LookPath("redis-server")
	if err != nil {
		return "", "", fmt.Errorf("%w: redis-server: %v", ErrNoBinary, err)
	}
	if cli {
		client, err = exec.LookPath("redis-cli")
		if err != nil {
			return "", "", fmt.Errorf("%w: redis-cli: %v", ErrNoBinary, err)
		}
	}
	return server, client, nil
}

// LaunchServer starts a redis-server on a free loopback port with its files
// in dir, outside any test. Extra arguments go to redis-server. Stop it with
// [Server.Close].
func LaunchServer(ctx context.Context, dir string, extra ...string) (*Server, error) {
	bin, _, err := lookBinaries(false)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return startServer(bin, dir, extra)
}

// The timeouts of the clients of a deployment: a request to a server that
// hangs fails within a second instead of go-redis's 5 s, so that a request
// during a failover fails instead of hanging. (A dial to a killed server on
// loopback is refused at once, whatever the timeout.) The dial timeout is
// no shorter, or a test machine busy with other work fails dials to live
// servers.
const (
	dialTimeout = time.Second
	ioTimeout   = time.Second
)

// addrsOf returns the addresses of servers, to seed a client with.
func addrsOf(servers []*Server) []string {
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = s.Addr
	}
	return addrs
}

// awaitReady waits up to 30 s for a deployment just started to be ready
// (wait is its Wait method); what names it in the error.
func awaitReady(ctx context.Context, wait func(context.Context) error, what string) error {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := wait(wctx); err != nil {
		return fmt.Errorf("redistest: %s not ready: %w", what, err)
	}
	return nil
}

// Kill stops the server at once, as a crash would (SIGKILL): whatever it
// acknowledged but did not persist or replicate is lost. Killing a stopped
// server does nothing.
func (s *Server) Kill() { s.kill() }

// Revive starts a killed server again on the same port, arguments and data
// directory (so a Cluster node finds its nodes.conf), and waits until it
// answers. A revived master of a Sentinel set or Cluster comes back empty and
// is turned into a replica of the master that replaced it.
func (s *Server) Revive() error {
	s.kill()
	return s.run()
}

// ReviveAsReplicaOf starts a killed server again as a replica of master, as
// an operator restarts a failed master of a Sentinel set that keeps no
// data on disk. Started as a master it would come back empty, and a
// sentinel that had not yet learnt of the failover could fail back to it,
// losing every write made since. (A Cluster node needs none of this: its
// nodes.conf makes it a replica; use [Server.Revive].)
func (s *Server) ReviveAsReplicaOf(master *Server) error {
	host, port, err := net.SplitHostPort(master.Addr)
	if err != nil {
		return err
	}
	s.kill()
	args := make([]string, 0, len(s.args)+3)
	for i := 0; i < len(s.args); i++ {
		if s.args[i] == "--replicaof" && i+2 < len(s.args) {
			i += 2 // the master it had before
			continue
		}
		args = append(args, s.args[i])
	}
	s.args = append(args, "--replicaof", host, port)
	return s.run()
}

// Running reports whether the server's process is running (it was not
// killed).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Close stops the server; it makes a single server a [Deployment].
func (s *Server) Close() { s.kill() }

// Log returns the server's log file, to explain a failure.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

// NewUniversalClient returns a new redis.Client of the server, with the
// same settings as [Server.NewClient]. The caller closes it.
func (s *Server) NewUniversalClient() redis.UniversalClient { return s.newClient() }

func (s *Server) newClient() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:          s.Addr,
		DialTimeout:   dialTimeout,
		ReadTimeout:   ioTimeout,
		WriteTimeout:  ioTimeout,
		MaxRetries:    -1,
		DialerRetries: 1,
	})
}

// Masters returns the server itself.
func (s *Server) Masters(context.Context) ([]*Server, error) { return []*Server{s}, nil }

// Wait waits until the server answers PING.
func (s *Server) Wait(ctx context.Context) error {
	return poll(ctx, func(ctx context.Context) error {
		c := s.newClient()
		defer c.Close()
		return c.Ping(ctx).Err()
	})
}

// KillInSync kills a master once its replicas hold everything it
// acknowledged: it pauses client writes (CLIENT PAUSE WRITE), waits until
// every replica has processed the master's replication stream up to that
// point, and kills it. Use it for a failover test that checks what a
// failover does when replication kept up; [Server.Kill] also shows what an
// asynchronous replica can lose. A write blocked by the pause fails when the
// connection dies, as it would in a crash.
func (s *Server) KillInSync(ctx context.Context) error {
	c := s.newClient()
	defer c.Close()
	if err := c.Do(ctx, "CLIENT", "PAUSE", 60000, "WRITE").Err(); err != nil {
		return fmt.Errorf("redistest: pause writes on %s: %w", s.Addr, err)
	}
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("redistest: INFO on %s: %w", s.Addr, err)
	}
	fields := infoFields(info)
	offset, err := strconv.ParseInt(fields["master_repl_offset"], 10, 64)
	if err != nil {
		return fmt.Errorf("redistest: %s has no replication offset: %q", s.Addr, info)
	}
	replicas := replicaAddrs(fields)
	if len(replicas) == 0 {
		return fmt.Errorf("redistest: %s has no replica to keep in sync", s.Addr)
	}
	for _, addr := range replicas {
		err := poll(ctx, func(ctx context.Context) error {
			r := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: dialTimeout, MaxRetries: -1})
			defer r.Close()
			info, err := r.Info(ctx, "replication").Result()
			if err != nil {
				return err
			}
			got, _ := strconv.ParseInt(infoFields(info)["master_repl_offset"], 10, 64)
			if got < offset {
				return fmt.Errorf("replica %s at offset %d of %d", addr, got, offset)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("redistest: replica of %s: %w", s.Addr, err)
		}
	}
	s.kill()
	return nil
}

// infoFields parses the "name:value" lines of an INFO reply.
func infoFields(info string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(info) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok {
			out[name] = value
		}
	}
	return out
}

// replicaAddrs returns the addresses of the replicas a master's INFO
// replication lists ("slave0:ip=...,port=...,state=online,...").
func replicaAddrs(fields map[string]string) []string {
	var out []string
	for i := 0; ; i++ {
		v, ok := fields["slave"+strconv.Itoa(i)]
		if !ok {
			return out
		}
		var ip, port string
		for kv := range strings.SplitSeq(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			switch k {
			case "ip":
				ip = val
			case "port":
				port = val
			}
		}
		out = append(out, net.JoinHostPort(ip, port))
	}
}

// poll calls try until it succeeds or ctx ends, and returns try's last
// error joined with ctx's. Each try gets a short deadline of its own, so a
// server that hangs cannot hold up the loop.
func poll(ctx context.Context, try func(ctx context.Context) error) error {
	for {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := try(tctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Pause stops the server's process without killing it (SIGSTOP), as a
// machine that hangs would: it keeps its connections but answers nothing
// until [Server.Resume].
func (s *Server) Pause() error { return s.signal(sigStop) }

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() error { return s.signal(sigCont) }

func (s *Server) signal(sig os.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("redistest: %s is not running", s.Addr)
	}
	if sig == nil {
		return fmt.Errorf("redistest: cannot pause a process on this system")
	}
	return s.cmd.Process.Signal(sig)
}

// ReplicasOf returns the servers of d that replicate master now, as
// master's INFO replication lists them.
func ReplicasOf(ctx context.Context, d Deployment, master *Server) ([]*Server, error) {
	c := master.newClient()
	defer c.Close()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return nil, fmt.Errorf("redistest: INFO on %s: %w", master.Addr, err)
	}
	var all []*Server
	switch d := d.(type) {
	case *Sentinel:
		all = d.Data
	case *Cluster:
		all = d.Nodes
	}
	var out []*Server
	for _, addr := range replicaAddrs(infoFields(info)) {
		for _, s := range all {
			if s.Addr == addr {
				out = append(out, s)
			}
		}
	}
	return out, nil
}
