package redistest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RoundTrips is a go-redis hook that counts round trips: each command sent
// alone, and each pipeline, is one. Add it with client.AddHook.
// It also keeps the names of the commands sent alone, for a test that
// asserts which command a call sends (see Names).
type RoundTrips struct {
	n         atomic.Int64
	recording atomic.Bool // only while Names runs, so that counting allocates nothing
	mu        sync.Mutex
	names     []string
}

// DialHook is part of redis.Hook; dials are not counted.
func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook counts a command sent alone.
func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		if r.recording.Load() {
			r.mu.Lock()
			r.names = append(r.names, cmd.Name())
			r.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts a pipeline (or transaction) as one.
func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// During returns how many round trips were counted while fn ran.
func (r *RoundTrips) During(fn func()) int64 {
	before := r.n.Load()
	fn()
	return r.n.Load() - before
}

// Names returns the names of the commands sent alone while fn ran, in order
// ("hgetall", "evalsha"). Calls of Names must not overlap.
func (r *RoundTrips) Names(fn func()) []string {
	r.mu.Lock()
	r.names = nil
	r.mu.Unlock()
	r.recording.Store(true)
	fn()
	r.recording.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names
}
