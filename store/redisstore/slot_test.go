package redisstore

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCRC16MatchesRedis checks the checksum against values Redis documents
// and computes (CLUSTER KEYSLOT).
func TestCRC16MatchesRedis(t *testing.T) {
	assert.Equal(t, uint16(0x31c3), crc16("123456789"), "the check value of the Redis Cluster specification")
	tests := []struct {
		key  string
		slot int
	}{
		{"foo", 12182},
		{"bar", 5061},
		{"hello", 866},
		{"sessionkit", 12625},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			assert.Equal(t, tc.slot, tagSlot(tc.key))
		})
	}
}

// evenSplit returns the first slot of each of masters contiguous ranges, as
// redis-cli --cluster create assigns them: a float cursor advanced by
// 16384/masters, each range ending at the rounded cursor.
func evenSplit(masters int) []int {
	per := float64(clusterSlots) / float64(masters)
	firsts := make([]int, masters)
	first, cursor := 0, 0.0
	for j := range masters {
		last := int(math.Round(cursor + per - 1))
		if last > clusterSlots || j == masters-1 {
			last = clusterSlots - 1
		}
		if last < first {
			last = first
		}
		firsts[j] = first
		first = last + 1
		cursor += per
	}
	return firsts
}

// masterOf returns the master owning slot under the split firsts.
func masterOf(firsts []int, slot int) int {
	m := 0
	for j, f := range firsts {
		if slot >= f {
			m = j
		}
	}
	return m
}

// TestShardTagsSpreadOverMasters computes each shard tag's slot and the
// share of shards every master gets under Redis's even slot split. Each
// master gets its fair share of shards, give or take one, and exactly its
// fair share when the masters divide the shard count; since sessions pick a
// shard by their fingerprint, a master's share of sessions is its share of
// shards.
func TestShardTagsSpreadOverMasters(t *testing.T) {
	for _, prefix := range []string{"sessionkit", "app"} {
		for _, shards := range []int{defaultShards, 16, 48, 240} {
			tags := shardTags(prefix, shards)
			for i, tag := range tags {
				slot := tagSlot(tag)
				assert.GreaterOrEqual(t, slot, i*clusterSlots/shards, "shard %d (%s) below its range", i, tag)
				assert.Less(t, slot, (i+1)*clusterSlots/shards, "shard %d (%s) above its range", i, tag)
			}
			for _, masters := range []int{3, 6, 16} {
				t.Run(fmt.Sprintf("%s/%d shards/%d masters", prefix, shards, masters), func(t *testing.T) {
					firsts := evenSplit(masters)
					held := make([]int, masters)
					for _, tag := range tags {
						held[masterOf(firsts, tagSlot(tag))]++
					}
					fair := shards / masters
					for j, n := range held {
						assert.GreaterOrEqual(t, n, fair, "master %d holds %d of %d shards", j, n, shards)
						assert.LessOrEqual(t, n, fair+1, "master %d holds %d of %d shards", j, n, shards)
						if shards%masters == 0 {
							assert.Equal(t, fair, n, "master %d", j)
						}
					}
					t.Logf("shards per master: %v", held)
				})
			}
		}
	}
}

// TestDefaultShardsSpreadUpTo16Masters pins the claim on defaultShards'
// documentation: under Redis's even split, no master of a Cluster of 1 to
// 16 masters holds more than 1.2 times its fair share of the shards, nor
// less than 0.8 times.
func TestDefaultShardsSpreadUpTo16Masters(t *testing.T) {
	tags := shardTags("sessionkit", defaultShards)
	for masters := 1; masters <= 16; masters++ {
		firsts := evenSplit(masters)
		held := make([]int, masters)
		for _, tag := range tags {
			held[masterOf(firsts, tagSlot(tag))]++
		}
		fair := float64(defaultShards) / float64(masters)
		for j, n := range held {
			share := float64(n) / fair
			assert.True(t, share <= 1.2 && share >= 0.8, "%d masters: master %d holds %d shards, %.2f of its fair share", masters, j, n, share)
		}
	}
}

// TestShardTagsAreDistinctAndStable checks that the search gives each shard
// its own tag and the same tags on every run (every instance must agree).
func TestShardTagsAreDistinctAndStable(t *testing.T) {
	tags := shardTags("sessionkit", 256)
	seen := map[string]bool{}
	for _, tag := range tags {
		require.False(t, seen[tag], "tag %q twice", tag)
		seen[tag] = true
	}
	assert.Equal(t, tags, searchTags("sessionkit", 256), "searched again")
}
