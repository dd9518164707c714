package redistest

import (
	"context"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrRefused is what a [Refuse] hook answers instead of sending a command.
// It reads as a connection failure, which stores report as unavailable.
var ErrRefused = errors.New("dial tcp: connection refused (redistest refused the command)")

// Refuse is a go-redis hook that fails the commands its match picks without
// sending them: Redis never runs them, as when it went away or the process
// died before it sent them. The zero value refuses nothing; add it with
// AddHook and change what it refuses with Set at any time.
type Refuse struct {
	mu    sync.Mutex
	match Match
}

// Set makes h refuse the commands match picks; nil refuses nothing.
func (h *Refuse) Set(match Match) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.match = match
}

func (h *Refuse) refuses(cmd redis.Cmder) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.match != nil && h.match(cmd)
}

// DialHook lets dials through.
func (h *Refuse) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook fails a refused command before it is sent.
func (h *Refuse) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.refuses(cmd) {
			cmd.SetErr(ErrRefused)
			return ErrRefused
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook lets pipelines through: the stores send each script
// on its own.
func (h *Refuse) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
