package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
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

// idIn returns a new session ID whose record lives in shard of a store of
// n shards.
func idIn(t *testing.T, shard, n int) string {
	t.Helper()
	for {
		if id := newID(t); redisstore.ShardOf(id, n) == shard {
			return id
		}
	}
}

// crossShardIDs returns an old and a new ID in different shards of a store
// of n shards.
func crossShardIDs(t *testing.T, n int) (oldID, newID string) {
	t.Helper()
	return idIn(t, 0, n), idIn(t, n-1, n)
}

// TestRenewAcrossShardsExactlyOneWinner: instances, each with its own
// client, renew one ID at once while others update and delete it; the IDs
// sit in different shards. Exactly one renewal wins, every other caller
// learns that the session was renewed (or, for a delete that came first,
// that it ended), and the session is whole under the winner's ID alone.
func TestRenewAcrossShardsExactlyOneWinner(t *testing.T) {
	const shards = 4
	prefix := redistest.Prefix()
	stores := make([]store.Store, 4)
	for i := range stores {
		stores[i] = redisstore.New(redistest.Client(t), redisstore.WithPrefix(prefix), redisstore.WithShards(shards))
	}
	ctx, at := t.Context(), now()
	for round := range 20 {
		oldID := idIn(t, round%shards, shards)
		require.NoError(t, stores[0].Create(ctx, oldID, record(at, map[string]any{"user": "ada"})))
		targets := make([]string, len(stores))
		for i := range targets {
			targets[i] = idIn(t, (round+1+i)%shards, shards)
		}
		errs := make([]error, len(stores))
		updates := make([]error, len(stores))
		var wg sync.WaitGroup
		for i, st := range stores {
			wg.Go(func() { errs[i] = st.Renew(ctx, oldID, targets[i], at.Add(time.Minute)) })
			wg.Go(func() { updates[i] = st.Update(ctx, oldID, map[string]any{fmt.Sprint("k", i): i}) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "round %d: two winners", round)
				winner = i
				continue
			}
			require.ErrorIs(t, err, store.ErrRenewed, "round %d: a loser", round)
		}
		require.NotEqual(t, -1, winner, "round %d: no winner", round)
		rec, found, err := stores[(winner+1)%len(stores)].Load(ctx, targets[winner], at.Add(time.Minute), false)
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, "ada", rec.Values["user"])
		for i, err := range updates {
			if err == nil {
				assert.Equal(t, i, rec.Values[fmt.Sprint("k", i)], "round %d: an update that succeeded is in the renewed record", round)
			} else {
				assert.ErrorIs(t, err, store.ErrRenewed)
				assert.NotContains(t, rec.Values, fmt.Sprint("k", i), "round %d: an update that failed is not", round)
			}
		}
		for i, id := range targets {
			if i == winner {
				continue
			}
			_, found, err := stores[0].Load(ctx, id, at, false)
			require.NoError(t, err)
			assert.False(t, found)
		}
		for _, st := range stores {
			_, found, err := st.Load(ctx, oldID, at, false)
			require.NoError(t, err)
			assert.False(t, found, "the old ID is dead")
		}
		_, deleted, err := stores[round%len(stores)].Delete(ctx, targets[winner])
		require.NoError(t, err)
		require.True(t, deleted)
	}
	n, err := stores[0].Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// stalledRenewal is a renewal of a session ("user": "ada") across two
// shards whose process died after the start step: the create step was never
// sent. other is a second instance on the same prefix and shards.
type stalledRenewal struct {
	client       *redis.Client
	dies         *redistest.Refuse
	s, other     store.Store
	prefix       string
	at           time.Time
	oldID, newID string
}

// startStalledRenewal creates the session and starts its renewal, which
// fails before the create step; dies still fails that step when it returns.
func startStalledRenewal(t *testing.T) stalledRenewal {
	t.Helper()
	const shards = 4
	r := stalledRenewal{prefix: redistest.Prefix(), client: redistest.Client(t), dies: &redistest.Refuse{}, at: now()}
	r.client.AddHook(r.dies)
	r.s = redisstore.New(r.client, redisstore.WithPrefix(r.prefix), redisstore.WithShards(shards))
	r.other = redisstore.New(redistest.Client(t), redisstore.WithPrefix(r.prefix), redisstore.WithShards(shards))
	ctx := t.Context()
	r.oldID, r.newID = crossShardIDs(t, shards)
	require.NoError(t, r.s.Create(ctx, r.oldID, record(r.at, map[string]any{"user": "ada"})))
	r.dies.Set(redistest.Script(redisstore.MoveCreateScriptSHA))
	require.Error(t, r.s.Renew(ctx, r.oldID, r.newID, r.at))
	return r
}

// TestRenewFinishedByAnotherInstance: the renewing process dies after the
// start step (the create step is never sent). The old ID is dead at once;
// the sweep of another instance, once the renewal's grace is over, finishes
// the move, and the session lives on under the new ID (nobody knows it: it
// is reported once, at its deadline). Nothing is reported before.
func TestRenewFinishedByAnotherInstance(t *testing.T) {
	r := startStalledRenewal(t)
	s, other, dies := r.s, r.other, r.dies
	ctx, at, oldID, newID := t.Context(), r.at, r.oldID, r.newID

	_, found, err := other.Load(ctx, oldID, at, true)
	require.NoError(t, err)
	assert.False(t, found, "the old ID is dead")
	_, deleted, err := other.Delete(ctx, oldID)
	assert.ErrorIs(t, err, store.ErrRenewed, "a logout of the old ID learns of the renewal")
	assert.False(t, deleted)

	swept, err := other.Sweep(ctx, at.Add(redisstore.MoveGrace-time.Millisecond), 10)
	require.NoError(t, err)
	assert.Empty(t, swept)
	_, found, err = other.Load(ctx, newID, at, false)
	require.NoError(t, err)
	assert.False(t, found, "not finished before the grace")

	swept, err = other.Sweep(ctx, at.Add(redisstore.MoveGrace), 10)
	require.NoError(t, err)
	assert.Empty(t, swept, "the session lives on")
	rec, found, err := other.Load(ctx, newID, at, false)
	require.NoError(t, err)
	require.True(t, found, "finished by the sweep")
	assert.Equal(t, "ada", rec.Values["user"])
	assert.ErrorIs(t, other.Update(ctx, oldID, map[string]any{"k": "v"}), store.ErrRenewed)

	dies.Set(nil)
	swept = sweepAll(t, []store.Store{s, other}, at.Add(3*time.Hour))
	require.Len(t, swept, 1)
	assert.Equal(t, store.MaskedID(newID), swept[0].MaskedID)
}

// TestRenewLostRecordReportedOnce: the renewing process dies after the start
// step, and nobody finishes the move before the old record leaves Redis
// (its key expiry, with every instance down). The session is then gone: the
// sweep reports it once, under its old masked ID, and a late create step of
// that renewal can no longer bring it back.
func TestRenewLostRecordReportedOnce(t *testing.T) {
	r := startStalledRenewal(t)
	s, other, client, prefix := r.s, r.other, r.client, r.prefix
	ctx, at, oldID, newID := t.Context(), r.at, r.oldID, r.newID
	r.dies.Set(nil)

	keys, err := client.Keys(ctx, "{"+prefix+":*}:s:*").Result() // a test may scan
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.NoError(t, client.Del(ctx, keys[0]).Err()) // as its key expiry would

	swept := sweepAll(t, []store.Store{other, s}, at.Add(redisstore.MoveGrace))
	require.Len(t, swept, 1, "reported once")
	assert.Equal(t, store.MaskedID(oldID), swept[0].MaskedID)
	_, found, err := other.Load(ctx, newID, at, false)
	require.NoError(t, err)
	assert.False(t, found)
	n, err := other.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestRenewEndLostThenLogout: the end step of a renewal loses every reply
// (the renewal succeeded), and the user logs out under the new ID before
// any sweep finished the end step. The logout reports the session; what the
// renewal left in the old shard goes with it, so no later sweep reports or
// revives anything, and the old ID is unknown.
func TestRenewEndLostThenLogout(t *testing.T) {
	const shards = 4
	prefix := redistest.Prefix()
	s, lose, client := lossyStoreWith(t, prefix, redisstore.WithShards(shards))
	ctx, at := t.Context(), now()
	oldID, newID := crossShardIDs(t, shards)
	require.NoError(t, s.Create(ctx, oldID, record(at, map[string]any{"user": "ada"})))
	lose.Lose(redistest.Script(redisstore.MoveEndScriptSHA), 0, -1)
	require.NoError(t, s.Renew(ctx, oldID, newID, at))
	lose.Stop()

	_, deleted, err := s.Delete(ctx, newID)
	require.NoError(t, err)
	require.True(t, deleted)
	assert.Empty(t, sweepAll(t, []store.Store{s}, at.Add(3*time.Hour)), "nothing more to report")
	_, found, err := s.Load(ctx, newID, at, false)
	require.NoError(t, err)
	assert.False(t, found, "not revived")
	assert.ErrorIs(t, s.Update(ctx, oldID, map[string]any{"k": "v"}), store.ErrNotFound, "the old ID of an ended session")
	left, err := client.Keys(ctx, "{"+prefix+":*}:[sr]:*").Result() // a test may scan
	require.NoError(t, err)
	assert.Empty(t, left, "no record or former key left")
}

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
