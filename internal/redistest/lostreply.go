package redistest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrReplyLost is the error a [LoseReplies] hook puts in place of a reply it
// drops. Like a read timeout it is a net.Error, so code under test sees what
// it would see when the network lost the reply of a command that ran.
var ErrReplyLost error = replyLost{}

type replyLost struct{}

func (replyLost) Error() string   { return "i/o timeout (redistest dropped the reply)" }
func (replyLost) Timeout() bool   { return true }
func (replyLost) Temporary() bool { return true }

// Match picks the commands whose replies a [LoseReplies] hook drops.
type Match func(cmd redis.Cmder) bool

// Script matches the runs of the Lua script whose SHA-1 is sha, sent with
// EVALSHA or (after a NOSCRIPT miss) with EVAL.
func Script(sha string) Match {
	return func(cmd redis.Cmder) bool {
		args := cmd.Args()
		if len(args) < 2 {
			return false
		}
		body, _ := args[1].(string)
		switch strings.ToLower(cmd.Name()) {
		case "evalsha", "evalsha_ro":
			return body == sha
		case "eval", "eval_ro":
			sum := sha1.Sum([]byte(body))
			return hex.EncodeToString(sum[:]) == sha
		}
		return false
	}
}

// ScriptWithKey matches the runs of any Lua script one of whose keys
// contains part, for tests that know a store's key layout but not its
// scripts.
func ScriptWithKey(part string) Match {
	return func(cmd redis.Cmder) bool {
		args := cmd.Args()
		switch strings.ToLower(cmd.Name()) {
		case "evalsha", "evalsha_ro", "eval", "eval_ro":
		default:
			return false
		}
		if len(args) < 3 {
			return false
		}
		n, ok := args[2].(int)
		if !ok {
			return false
		}
		for i := 3; i < 3+n && i < len(args); i++ {
			if k, _ := args[i].(string); strings.Contains(k, part) {
				return true
			}
		}
		return false
	}
}

// LoseReplies is a go-redis hook that lets chosen commands run on the server
// and then drops their replies, as a network that times out after the
// request went through would: the caller gets [ErrReplyLost] although the
// command took effect. Add it with client.AddHook, then arm it with [LoseReplies.Lose].
//
// Only replies that Redis answered without an error count as matches: a
// NOSCRIPT miss, after which go-redis sends the script again, is left alone.
// In a pipeline the replies after a dropped one are dropped too, since a
// connection that loses one reply loses the rest.
type LoseReplies struct {
	mu    sync.Mutex
	match Match
	skip  int // matches to let through before dropping
	left  int // replies still to drop; -1 for every one
	lost  int // replies dropped so far
}

// DialHook is part of redis.Hook; dials are left alone.
func (l *LoseReplies) DialHook(next redis.DialHook) redis.DialHook { return next }

// Lose arms the hook: of the commands that match, it lets skip through, then
// drops the replies of the next times of them (every later one when times is
// negative). It replaces any earlier arming.
func (l *LoseReplies) Lose(match Match, skip, times int) {
	if match == nil {
		panic("redistest: nil Match")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.match, l.skip, l.left = match, skip, times
}

// Stop disarms the hook: every later reply goes through.
func (l *LoseReplies) Stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.match, l.left = nil, 0
}

// Lost returns how many replies the hook has dropped.
func (l *LoseReplies) Lost() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// drop reports whether the reply of cmd, which the server has answered,
// is to be dropped, and counts it.
func (l *LoseReplies) drop(cmd redis.Cmder) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.match == nil || l.left == 0 || !l.match(cmd) {
		return false
	}
	var replyErr redis.Error
	if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) && errors.As(err, &replyErr) {
		return false // an error reply: the command did not run as asked
	}
	if l.skip > 0 {
		l.skip--
		return false
	}
	if l.left > 0 {
		l.left--
	}
	l.lost++
	return true
}

// ProcessHook drops the reply of a command sent alone.
func (l *LoseReplies) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if l.drop(cmd) {
			cmd.SetErr(ErrReplyLost)
			return ErrReplyLost
		}
		return err
	}
}

// ProcessPipelineHook drops the reply of a command in a pipeline, and of
// every command after it.
func (l *LoseReplies) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for i, cmd := range cmds {
			if !l.drop(cmd) {
				continue
			}
			for _, c := range cmds[i:] {
				c.SetErr(ErrReplyLost)
			}
			return ErrReplyLost
		}
		return err
	}
}
