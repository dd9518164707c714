package redisstore_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// unreachableScript is a go-redis hook that, while on, fails the runs of
// one script before they reach Redis, as a node that cannot be reached
// would.
type unreachableScript struct {
	sha string
	on  atomic.Bool
}

func (u *unreachableScript) DialHook(next redis.DialHook) redis.DialHook { return next }

func (u *unreachableScript) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (u *unreachableScript) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		args := cmd.Args()
		if u.on.Load() && len(args) > 1 && strings.HasPrefix(cmd.Name(), "eval") && args[1] == u.sha {
			cmd.SetErr(redistest.ErrReplyLost)
			return redistest.ErrReplyLost
		}
		return next(ctx, cmd)
	}
}

// TestHalfDoneMoveAfterOnwardRenewal checks that a renewal whose end step
// never ran (Renew still succeeds: the new ID works) cannot bring its new
// ID back once the session was renewed again from it. The sweep finishes
// the first move later; by then its create step's marker may have expired
// (no sweep ran for markerTTL, for example with a long GcInterval), and the
// new ID's record is gone because it was renewed onward. Finishing the move
// must see that the new ID was renewed, not create it a second time: that
// would bring a dead ID back with stale values, and a second copy of the
// session that fires Destroyed twice.
func TestHalfDoneMoveAfterOnwardRenewal(t *testing.T) {
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	cut := &unreachableScript{sha: redisstore.MoveEndScriptSHA}
	client.AddHook(cut)
	s := redisstore.New(client, redisstore.WithPrefix(prefix))
	ctx, at := t.Context(), now()
	first, second, third := newID(t), newID(t), newID(t)
	require.NoError(t, s.Create(ctx, first, record(at, map[string]any{"user": "ada"})))

	cut.on.Store(true)
	require.NoError(t, s.Renew(ctx, first, second, at), "the end step is tidying: the renewal took effect")
	cut.on.Store(false)
	require.NoError(t, s.Update(ctx, second, map[string]any{"user": "bob"}))
	require.NoError(t, s.Renew(ctx, second, third, at.Add(time.Second)))

	// No sweep for markerTTL: the markers of the first renewal expire.
	markers, err := client.Keys(ctx, "{"+prefix+":*}:renew*").Result() // a test may scan
	require.NoError(t, err)
	require.NotEmpty(t, markers)
	require.NoError(t, client.Del(ctx, markers...).Err())

	later := at.Add(time.Minute)
	swept, err := s.Sweep(ctx, later, 100)
	require.NoError(t, err)
	assert.Empty(t, swept, "no session ended")

	_, found, err := s.Load(ctx, second, later, false)
	require.NoError(t, err)
	assert.False(t, found, "the renewed-away ID stays dead")
	assert.ErrorIs(t, s.Update(ctx, second, map[string]any{"k": 1}), store.ErrRenewed)
	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "one session")
	rec, found, err := s.Load(ctx, third, later, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "bob", rec.Values["user"])
}
