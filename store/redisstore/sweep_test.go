package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// TestSweepIsFairToShards checks that a shard full of due sessions does not
// keep the others waiting: a sweep takes from every shard in turn, and
// successive sweeps start at successive shards, so that even sweeps of one
// session each reach every shard.
func TestSweepIsFairToShards(t *testing.T) {
	const shards = 4
	ctx, at := t.Context(), now()
	due := at.Add(3 * time.Hour)
	newSweeper := func(t *testing.T) (store.Store, map[string]int) {
		t.Helper()
		s := redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix()), redisstore.WithShards(shards))
		shardOf := map[string]int{} // masked ID -> shard
		for shard := range shards {
			n := 1
			if shard == 0 {
				n = 40 // the crowded shard
			}
			for range n {
				id := idIn(t, shard, shards)
				require.NoError(t, s.Create(ctx, id, record(at, nil)))
				shardOf[store.MaskedID(id)] = shard
			}
		}
		return s, shardOf
	}

	t.Run("one sweep takes from every shard", func(t *testing.T) {
		s, shardOf := newSweeper(t)
		swept, err := s.Sweep(ctx, due, shards)
		require.NoError(t, err)
		require.Len(t, swept, shards)
		seen := map[int]int{}
		for _, e := range swept {
			seen[shardOf[e.MaskedID]]++
		}
		assert.Equal(t, map[int]int{0: 1, 1: 1, 2: 1, 3: 1}, seen, "one session of each shard")
	})

	t.Run("successive sweeps start at successive shards", func(t *testing.T) {
		s, shardOf := newSweeper(t)
		seen := map[int]int{}
		for range shards {
			swept, err := s.Sweep(ctx, due, 1)
			require.NoError(t, err)
			require.Len(t, swept, 1)
			seen[shardOf[swept[0].MaskedID]]++
		}
		assert.Len(t, seen, shards, "every shard reached in %d sweeps of one: %v", shards, seen)
	})

	t.Run("fewer than the limit means none left", func(t *testing.T) {
		s, _ := newSweeper(t)
		swept, err := s.Sweep(ctx, due, 100)
		require.NoError(t, err)
		assert.Len(t, swept, 43, "all of them, the crowded shard too")
		again, err := s.Sweep(ctx, due, 100)
		require.NoError(t, err)
		assert.Empty(t, again)
	})
}
