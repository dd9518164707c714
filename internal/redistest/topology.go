package redistest

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Topology is one way to deploy Redis: a single server, a Sentinel set or a
// Cluster. Tests that must hold on all of them range over [Topologies].
type Topology struct {
	// Name is "single", "sentinel" or "cluster", fit for a subtest name
	// or a command-line flag.
	Name string

	launch func(ctx context.Context, dir string) (Deployment, error)
	cli    bool // needs redis-cli as well as redis-server
}

// The topologies, in the order [Topologies] gives them.
var (
	// Single is one redis-server, used through redis.NewClient.
	Single = Topology{Name: "single", launch: func(ctx context.Context, dir string) (Deployment, error) {
		return LaunchServer(ctx, dir)
	}}
	// SentinelSet is a [Sentinel] set, used through redis.NewFailoverClient.
	SentinelSet = Topology{Name: "sentinel", launch: func(ctx context.Context, dir string) (Deployment, error) {
		return LaunchSentinel(ctx, dir)
	}}
	// ClusterSet is a [Cluster], used through redis.NewClusterClient.
	ClusterSet = Topology{Name: "cluster", cli: true, launch: func(ctx context.Context, dir string) (Deployment, error) {
		return LaunchCluster(ctx, dir)
	}}
)

// Topologies returns every topology: single, sentinel, cluster.
func Topologies() []Topology { return []Topology{Single, SentinelSet, ClusterSet} }

// Launch starts a deployment of the topology with its files under dir,
// outside any test; the caller stops it with Close. It returns an error
// wrapping [ErrNoBinary] when a program it needs is missing.
func (tp Topology) Launch(ctx context.Context, dir string) (Deployment, error) {
	return tp.launch(ctx, dir)
}

// Start starts a deployment of the topology private to one test, for a
// test that kills or restarts its servers, and stops it when the test ends.
// Without the programs it needs the test skips, or fails when
// SESSION_REQUIRE_REDIS=1.
func (tp Topology) Start(t testing.TB) Deployment {
	t.Helper()
	tp.require(t)
	d, err := tp.Launch(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("redistest: %s: %v", tp.Name, err)
	}
	t.Cleanup(d.Close)
	return d
}

// Client returns a client of the topology's deployment shared by the
// tests of one package (stopped by [Main]), closed when the test ends.
// Tests keep apart with [Prefix]. For Single it is [Client], so REDIS_URL
// is honoured; the other topologies always start their own servers.
func (tp Topology) Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	if tp.Name == Single.Name {
		return Client(t)
	}
	tp.require(t)
	d, err := sharedDeployment(tp)
	if err != nil {
		t.Fatalf("redistest: shared %s: %v", tp.Name, err)
	}
	c := d.NewUniversalClient()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// require skips or fails the test when a program the topology needs is
// missing.
func (tp Topology) require(t testing.TB) {
	t.Helper()
	if _, _, err := lookBinaries(tp.cli); err != nil {
		skipOrFail(t, "redistest: the "+tp.Name+" topology cannot start: "+err.Error())
	}
}

// sharedDeployments holds the deployments [Topology.Client] starts, one per
// topology and test binary.
var sharedDeployments struct {
	mu   sync.Mutex
	byTP map[string]*sharedOne
}

type sharedOne struct {
	once sync.Once
	d    Deployment
	dir  string
	err  error
}

func sharedDeployment(tp Topology) (Deployment, error) {
	sharedDeployments.mu.Lock()
	if sharedDeployments.byTP == nil {
		sharedDeployments.byTP = map[string]*sharedOne{}
	}
	one := sharedDeployments.byTP[tp.Name]
	if one == nil {
		one = &sharedOne{}
		sharedDeployments.byTP[tp.Name] = one
	}
	sharedDeployments.mu.Unlock()
	one.once.Do(func() {
		one.dir, one.err = os.MkdirTemp("", "redistest-"+tp.Name+"-")
		if one.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		one.d, one.err = tp.Launch(ctx, one.dir)
	})
	if one.err != nil {
		return nil, one.err
	}
	if one.d == nil {
		return nil, errors.New("not started")
	}
	return one.d, nil
}

func stopSharedDeployments() {
	sharedDeployments.mu.Lock()
	defer sharedDeployments.mu.Unlock()
	for _, one := range sharedDeployments.byTP {
		if one.d != nil {
			one.d.Close()
		}
		if one.dir != "" {
			_ = os.RemoveAll(one.dir)
		}
	}
	sharedDeployments.byTP = nil
}
