package redisstore_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// breakConnAfter is a go-redis hook that, once armed, lets the next
// pipeline that runs the script sha go through on the server and then
// breaks the connection it ran on, as a network failure after the command
// ran would: the caller gets no reply, and its retry goes out on another
// connection of the pool.
type breakConnAfter struct {
	admin *redis.Client // kills the connections; not hooked
	mu    sync.Mutex
	sha   string
	hits  int
}

func (b *breakConnAfter) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (b *breakConnAfter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (b *breakConnAfter) arm(sha string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sha = sha
}

func (b *breakConnAfter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		b.mu.Lock()
		hit := false
		for _, c := range cmds {
			args := c.Args()
			if b.sha != "" && len(args) > 1 && strings.EqualFold(c.Name(), "evalsha") && args[1] == b.sha {
				hit = true
			}
		}
		if hit {
			b.sha = ""
			b.hits++
		}
		b.mu.Unlock()
		if !hit {
			return next(ctx, cmds)
		}
		// The connection's ID rides in front of the pipeline, so that
		// this connection alone can be broken afterwards.
		id := redis.NewIntCmd(ctx, "client", "id")
		_ = next(ctx, append([]redis.Cmder{id}, cmds...))
		conn, err := id.Result()
		if err != nil {
			return err
		}
		if err := b.admin.ClientKillByFilter(ctx, "ID", strconv.FormatInt(conn, 10)).Err(); err != nil {
			return err
		}
		for _, c := range cmds {
			c.SetErr(redistest.ErrReplyLost)
		}
		return redistest.ErrReplyLost
	}
}

// TestReplicaAcksRetryOnNewConnection checks that WithReplicaAcks fails
// closed when a write's reply is lost and its retry runs on another
// connection of the pool, one that made its last write before the first
// run did. The retry finds the first run's marker and writes nothing, and
// Redis's WAIT waits only for the writes made on its own connection: a WAIT
// behind such a retry must not report the first run's write, which the
// replica never got, as acknowledged. Here the replica is stalled (SIGSTOP:
// still connected, so the master counts it, but it acknowledges nothing),
// and every write must fail with store.ErrUnavailable.
func TestReplicaAcksRetryOnNewConnection(t *testing.T) {
	master := redistest.Start(t)
	host, port, err := net.SplitHostPort(master.Addr)
	require.NoError(t, err)
	replica := redistest.Start(t, "--replicaof", host, port)
	ctx := t.Context()
	rc := replica.NewClient(t)
	require.Eventually(t, func() bool {
		info, err := rc.Info(ctx, "replication").Result()
		return err == nil && containsLine(info, "master_link_status:up")
	}, 10*time.Second, 20*time.Millisecond, "the replica did not sync")
	info, err := rc.Info(ctx, "server").Result()
	require.NoError(t, err)
	pid := 0
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, err = strconv.Atoi(v)
			require.NoError(t, err)
		}
	}
	require.NotZero(t, pid, "the replica's process id")

	tests := []struct {
		name string
		sha  string
		call func(s store.Store, id string, at time.Time) error
	}{
		{"create", redisstore.CreateScriptSHA, func(s store.Store, id string, at time.Time) error {
			return s.Create(ctx, newID(t), record(at, nil))
		}},
		{"delete", redisstore.DeleteScriptSHA, func(s store.Store, id string, at time.Time) error {
			_, _, err := s.Delete(ctx, id)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := now()
			hook := &breakConnAfter{admin: master.NewClient(t)}
			// A pool that keeps idle connections, as a busy application's
			// does.
			mc := redis.NewClient(&redis.Options{Addr: master.Addr, ReadTimeout: time.Second, MinIdleConns: 3, PoolSize: 4})
			t.Cleanup(func() { _ = mc.Close() })
			mc.AddHook(hook)
			s := redisstore.New(mc, redisstore.WithPrefix(redistest.Prefix()), redisstore.WithReplicaAcks(1, 100*time.Millisecond))
			id := newID(t)
			require.NoError(t, s.Create(ctx, id, record(at, nil)), "the replica is healthy")
			require.Eventually(t, func() bool { return mc.PoolStats().IdleConns >= 3 },
				5*time.Second, 10*time.Millisecond, "the pool keeps idle connections")

			require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
			resumed := false
			resume := func() {
				if !resumed {
					resumed = true
					_ = syscall.Kill(pid, syscall.SIGCONT)
				}
			}
			t.Cleanup(resume)

			hook.arm(tc.sha)
			err := tc.call(s, id, at)
			resume()
			require.Equal(t, 1, hook.hits, "the write ran once and lost its reply")
			require.ErrorIs(t, err, store.ErrUnavailable,
				"no replica acknowledged the write: it must fail closed, not be reported done")
		})
	}
}
