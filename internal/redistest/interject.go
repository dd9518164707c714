package redistest

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Interject is a go-redis hook that runs a function once, right after the
// first command of a given name (sent alone) has its reply and before the
// caller sees it: the way to put another client's work between two round
// trips of one call. Add it with client.AddHook, then Arm it. The function
// may use the same client; its own commands do not fire it again.
type Interject struct {
	name string
	fn   atomic.Pointer[func()]
}

// NewInterject returns a hook for commands named name ("hgetall"), unarmed.
func NewInterject(name string) *Interject { return &Interject{name: name} }

// Arm makes the next command of the hook's name run fn after its reply.
func (i *Interject) Arm(fn func()) { i.fn.Store(&fn) }

// Fired reports whether the armed function has run.
func (i *Interject) Fired() bool { return i.fn.Load() == nil }

// DialHook is part of redis.Hook; dials pass through.
func (i *Interject) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook runs the armed function after a command of the hook's name.
func (i *Interject) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if cmd.Name() == i.name {
			if fn := i.fn.Swap(nil); fn != nil {
				(*fn)()
			}
		}
		return err
	}
}

// ProcessPipelineHook is part of redis.Hook; pipelines pass through.
func (i *Interject) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
