package redistest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
)

// TestTopologies starts each topology and checks that a client of the kind
// an application would use writes and reads through it, and that every
// master the deployment names answers.
func TestTopologies(t *testing.T) {
	t.Parallel()
	for _, tp := range redistest.Topologies() {
		t.Run(tp.Name, func(t *testing.T) {
			t.Parallel()
			d := tp.Start(t)
			c := d.NewUniversalClient()
			defer c.Close()
			ctx := t.Context()
			for _, key := range []string{"a", "b", "c", "d", "e", "f"} {
				require.NoError(t, c.Set(ctx, key, "v-"+key, time.Minute).Err())
				got, err := c.Get(ctx, key).Result()
				require.NoError(t, err)
				require.Equal(t, "v-"+key, got)
			}
			masters, err := d.Masters(ctx)
			require.NoError(t, err)
			want := map[string]int{"single": 1, "sentinel": 1, "cluster": 3}[tp.Name]
			require.Len(t, masters, want)
			for _, m := range masters {
				require.True(t, m.Running(), m.Addr)
			}
		})
	}
}

// TestFailover kills the master of each replicated topology, checks that a
// replica takes over and the client reaches it without being made again,
// then revives the old master and checks it rejoins as a replica.
func TestFailover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tp   redistest.Topology
	}{
		{"sentinel", redistest.SentinelSet},
		{"cluster", redistest.ClusterSet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := tc.tp.Start(t)
			c := d.NewUniversalClient()
			defer c.Close()
			ctx := t.Context()
			require.NoError(t, c.Set(ctx, "k", "before", 0).Err())
			old := masterOf(t, d, "k")
			require.NoError(t, old.KillInSync(ctx))

			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			require.NoError(t, d.Wait(wctx), "failover")
			now := masterOf(t, d, "k")
			require.NotSame(t, old, now, "a replica took over")
			// The client finds the new master by itself, within a
			// generous bound.
			var got string
			require.NoError(t, poll(wctx, func() error {
				var err error
				got, err = c.Get(ctx, "k").Result()
				return err
			}), "the same client reaches the new master")
			require.Equal(t, "before", got, "the write acknowledged before the crash survives")
			require.NoError(t, c.Set(ctx, "k", "after", 0).Err())

			if _, cluster := d.(*redistest.Cluster); cluster {
				require.NoError(t, old.Revive())
			} else {
				require.NoError(t, old.ReviveAsReplicaOf(now))
			}
			require.NoError(t, d.Wait(wctx), "the old master rejoins")
			// It came back as a replica (Wait saw the set linked and
			// healthy); on a loaded machine the sentinels may since have
			// judged the new master down and failed back over to it, which
			// the value below survives all the same.
			if m := masterOf(t, d, "k"); m != now {
				require.Same(t, old, m)
				t.Logf("the sentinels failed back over to the revived server")
			}
			v, err := c.Get(ctx, "k").Result()
			require.NoError(t, err)
			require.Equal(t, "after", v, "the write acknowledged after the failover survives the rejoin")
		})
	}
}

func masterOf(t *testing.T, d redistest.Deployment, key string) *redistest.Server {
	t.Helper()
	if c, ok := d.(*redistest.Cluster); ok {
		m, err := c.MasterOf(t.Context(), key)
		require.NoError(t, err)
		return m
	}
	ms, err := d.Masters(t.Context())
	require.NoError(t, err)
	require.Len(t, ms, 1)
	return ms[0]
}

// poll calls try until it succeeds or ctx ends.
func poll(ctx context.Context, try func() error) error {
	for {
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
