package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster shape and timing. cluster-node-timeout defaults to 15 s, which
// would make a failover test take half a minute or more: a master silent
// for a second on loopback is dead, so its replica takes over after about
// two. The replica validity factor is off so that a replica that lost its
// link during a test can always take over.
const (
	clusterMasters     = 3
	clusterReplicas    = 1 // per master
	clusterNodeTimeout = 1000
	clusterSlots       = 16384
)

// Cluster is a Redis Cluster on loopback: three masters with one replica
// each, made by redis-cli --cluster create. Start one for a test with
// [Topology.Start] of [ClusterSet], or outside tests with [LaunchCluster].
type Cluster struct {
	// Nodes holds the six nodes; which are masters changes with failovers
	// (see [Cluster.Masters]).
	Nodes []*Server
}

var _ Deployment = (*Cluster)(nil)

// LaunchCluster starts a Cluster with its files under dir and waits until
// every node reports the cluster ok and every replica is linked to its
// master. It needs redis-cli as well as redis-server. Stop it with
// [Cluster.Close].
func LaunchCluster(ctx context.Context, dir string) (_ *Cluster, err error) {
	bin, cli, err := lookBinaries(true)
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	n := clusterMasters * (1 + clusterReplicas)
	addrs := make([]string, 0, n)
	for i := range n {
		port, err := freeClusterPort()
		if err != nil {
			return nil, err
		}
		node, err := startServerOn(bin, mkdir(dir, "node"+strconv.Itoa(i)), port, append([]string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.Itoa(clusterNodeTimeout),
			"--cluster-replica-validity-factor", "0",
		}, dataNodeArgs...))
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, node)
		addrs = append(addrs, node.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(clusterReplicas), "--cluster-yes")
	cmd := exec.CommandContext(ctx, cli, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("redistest: redis-cli --cluster create: %w\n%s", err, out.String())
	}
	if err := awaitReady(ctx, c.Wait, "Cluster"); err != nil {
		return nil, err
	}
	return c, nil
}

// NewUniversalClient returns a redis.NewClusterClient of the cluster,
// seeded with every node's address. go-redis keeps sending a slot's
// commands to its dead master until it reloads the slot map, which it does
// on a MOVED reply or when the map is older than ClusterStateReloadInterval
// (60 s by default): at 1 s, a request finds the promoted replica about a
// second after the failover instead of up to a minute.
func (c *Cluster) NewUniversalClient() redis.UniversalClient {
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:        addrsOf(c.Nodes),
		DialTimeout:  dialTimeout,
		ReadTimeout:  ioTimeout,
		WriteTimeout: ioTimeout,
		MaxRetries:   -1,
		// A dead master is not dialled five times per request.
		DialerRetries:              1,
		ClusterStateReloadInterval: time.Second,
	})
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, master string
	isMaster, failed bool
	connected        bool
	slots            int
}

// nodes reads CLUSTER NODES from the running node s.
func clusterNodes(ctx context.Context, s *Server) ([]clusterNode, error) {
	c := s.newClient()
	defer c.Close()
	text, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER NODES on %s: %w", s.Addr, err)
	}
	var out []clusterNode
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		n := clusterNode{id: f[0], master: f[3], connected: f[7] == "connected"}
		n.addr, _, _ = strings.Cut(f[1], "@") // ip:port@busport[,hostname]
		for flag := range strings.SplitSeq(f[2], ",") {
			switch flag {
			case "master":
				n.isMaster = true
			case "fail", "fail?":
				n.failed = true
			}
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being migrated
			}
			lo, hi, isRange := strings.Cut(r, "-")
			a, _ := strconv.Atoi(lo)
			b := a
			if isRange {
				b, _ = strconv.Atoi(hi)
			}
			n.slots += b - a + 1
		}
		out = append(out, n)
	}
	return out, nil
}

// running returns the first running node, to ask about the cluster.
func (c *Cluster) running() (*Server, error) {
	for _, n := range c.Nodes {
		if n.Running() {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no node of the cluster is running")
}

func (c *Cluster) byAddr(addr string) *Server {
	for _, n := range c.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

// Masters returns the masters that serve slots now, as a running node
// sees them.
func (c *Cluster) Masters(ctx context.Context) ([]*Server, error) {
	any, err := c.running()
	if err != nil {
		return nil, err
	}
	nodes, err := clusterNodes(ctx, any)
	if err != nil {
		return nil, err
	}
	var out []*Server
	for _, n := range nodes {
		if n.isMaster && n.slots > 0 {
			s := c.byAddr(n.addr)
			if s == nil {
				return nil, fmt.Errorf("CLUSTER NODES names %s, which is not in the cluster", n.addr)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// MasterOf returns the master that serves key's slot now.
func (c *Cluster) MasterOf(ctx context.Context, key string) (*Server, error) {
	any, err := c.running()
	if err != nil {
		return nil, err
	}
	client := any.newClient()
	slot, err := client.ClusterKeySlot(ctx, key).Result()
	_ = client.Close()
	if err != nil {
		return nil, err
	}
	return c.MasterOfSlot(ctx, int(slot))
}

// MasterOfSlot returns the master that serves slot now.
func (c *Cluster) MasterOfSlot(ctx context.Context, slot int) (*Server, error) {
	any, err := c.running()
	if err != nil {
		return nil, err
	}
	client := any.newClient()
	defer client.Close()
	shards, err := client.ClusterShards(ctx).Result()
	if err != nil {
		return nil, err
	}
	for _, shard := range shards {
		for _, r := range shard.Slots {
			if slot < int(r.Start) || slot > int(r.End) {
				continue
			}
			for _, n := range shard.Nodes {
				if n.Role != "master" {
					continue
				}
				addr := net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10))
				if s := c.byAddr(addr); s != nil {
					return s, nil
				}
				return nil, fmt.Errorf("slot %d is on %s, which is not in the cluster", slot, addr)
			}
		}
	}
	return nil, fmt.Errorf("no master serves slot %d", slot)
}

// Wait waits until every running node reports the cluster ok, sees every
// slot served by a master it does not think failed, and (for a replica) is
// linked to its master.
func (c *Cluster) Wait(ctx context.Context) error {
	return poll(ctx, func(ctx context.Context) error {
		for _, s := range c.Nodes {
			if !s.Running() {
				continue
			}
			client := s.newClient()
			info, err := client.ClusterInfo(ctx).Result()
			_ = client.Close()
			if err != nil {
				return fmt.Errorf("CLUSTER INFO on %s: %w", s.Addr, err)
			}
			if f := infoFields(info); f["cluster_state"] != "ok" {
				return fmt.Errorf("%s: cluster_state %s", s.Addr, f["cluster_state"])
			}
			nodes, err := clusterNodes(ctx, s)
			if err != nil {
				return err
			}
			slots, masters := 0, map[string]string{}
			for _, n := range nodes {
				if n.isMaster && n.slots > 0 {
					if n.failed {
						return fmt.Errorf("%s sees master %s failed", s.Addr, n.addr)
					}
					slots += n.slots
					masters[n.id] = n.addr
				}
			}
			if slots != clusterSlots {
				return fmt.Errorf("%s sees %d of %d slots served", s.Addr, slots, clusterSlots)
			}
			for _, n := range nodes {
				if n.addr != s.Addr || n.isMaster {
					continue
				}
				master, ok := masters[n.master]
				if !ok {
					return fmt.Errorf("replica %s follows %s, not a master with slots", s.Addr, n.master)
				}
				if err := linkedTo(ctx, s, master); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Close stops every node.
func (c *Cluster) Close() {
	for _, n := range c.Nodes {
		n.kill()
	}
}

// freeClusterPort returns a free loopback port p whose cluster bus port,
// p+10000, is free too.
func freeClusterPort() (int, error) {
	for range 100 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p+10000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+10000)))
		if err != nil {
			continue
		}
		_ = l.Close()
		return p, nil
	}
	return 0, fmt.Errorf("redistest: no free pair of ports for a cluster node")
}
