package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

func newID(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// now is the tests' clock: wall time, since Redis expires keys by its own
// clock and a record must not be born already expired.
func now() time.Time { return time.Now().Truncate(time.Millisecond) }

// record returns a session accessed at t that expires after 30 idle minutes
// or 2 hours, whichever comes first.
func record(t time.Time, values map[string]any) store.Record {
	return store.Record{Values: values, Created: t, Accessed: t, Idle: 30 * time.Minute, Expires: t.Add(2 * time.Hour)}
}

// roundTrips counts the round trips a client makes: each command sent
// alone, and each pipeline, is one.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// count returns how many round trips fn made.
func (r *roundTrips) count(fn func()) int64 {
	before := r.n.Load()
	fn()
	return r.n.Load() - before
}

