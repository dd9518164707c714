package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// errNotReplicated is the error of a write that fewer replicas acknowledged
// than WithReplicaAcks asks for. It is not a reply from Redis, so the write
// counts as one whose outcome is in doubt: it is sent again (every write is
// safe to repeat), and when no attempt is acknowledged the call fails with
// store.ErrUnavailable and its work is taken back like that of a write whose
// every reply was lost.
var errNotReplicated = errors.New("redisstore: too few replicas acknowledged the write")

// eval runs a script that changes a session. With WithReplicaAcks it sends
// WAIT right behind the script, in one pipeline on the connection to the
// master that holds the script's keys (WAIT counts the replicas that have
// every write made on its own connection), and fails the command when too
// few replicas acknowledged in time.
func (s *redisStore) eval(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	if s.replicas == 0 {
		return script.Run(ctx, s.client, keys, args...)
	}
	var node redis.Cmdable = s.client
	if cluster, ok := s.client.(*redis.ClusterClient); ok {
		master, err := cluster.MasterForKey(ctx, keys[0])
		if err != nil {
			cmd := redis.NewCmd(ctx)
			cmd.SetErr(err)
			return cmd
		}
		node = master
	}
	for attempt := 1; ; attempt++ {
		pipe := node.Pipeline()
		cmd := script.EvalSha(ctx, pipe, keys, args...)
		acks := pipe.Do(ctx, "wait", s.replicas, s.replicaTimeout.Milliseconds())
		_, _ = pipe.Exec(ctx)
		if err := cmd.Err(); err != nil && attempt == 1 && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			if err := script.Load(ctx, node).Err(); err != nil {
				cmd.SetErr(err)
				return cmd
			}
			continue
		}
		if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return cmd
		}
		if n, err := acks.Int64(); err != nil {
			cmd.SetErr(err)
		} else if n < int64(s.replicas) {
			cmd.SetErr(fmt.Errorf("%w: %d of %d within %v", errNotReplicated, n, s.replicas, s.replicaTimeout))
		}
		return cmd
	}
}
