package redisstore

import (
	"strconv"
	"sync"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// crc16Table holds the CRC of each byte value, so that crc16 takes a byte
// at a time: the tag search runs it thousands of times per store.
var crc16Table = func() (t [256]uint16) {
	for b := range t {
		crc := uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[b] = crc
	}
	return t
}()

// crc16 is CRC16-XMODEM (polynomial 0x1021, initial value 0), the checksum
// Redis Cluster maps keys to slots with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^s[i]]
	}
	return crc
}

// tagSlot returns the Cluster slot of every key whose hash tag is tag.
func tagSlot(tag string) int { return int(crc16(tag)) % clusterSlots }

// shardTags returns the hash tags of n shards under prefix. CRC16 is linear,
// so tags that differ only in a counter ("p:0" to "p:15") land on a handful
// of nearby slots; instead, shard i gets the first tag "prefix:<k>" (k
// counting up in base 36) whose slot lies in the middle quarter of the i-th of
// n equal slot ranges. The shards thus sit on evenly spaced slots, and a
// Cluster whose masters own contiguous equal ranges (as redis-cli --cluster
// create assigns them) gets an even share of shards on every master. The
// search is deterministic, so every instance computes the same tags; it
// costs about 4*16384/n checksums per shard.
func shardTags(prefix string, n int) []string {
	key := strconv.Itoa(n) + " " + prefix
	if tags, ok := knownTags.Load(key); ok {
		return tags.([]string)
	}
	tags := searchTags(prefix, n)
	knownTags.Store(key, tags)
	return tags
}

// knownTags keeps the tags found for each prefix and number of shards: a
// process that makes many stores (tests do) searches once.
var knownTags sync.Map

func searchTags(prefix string, n int) []string {
	tags := make([]string, n)
	for i := range n {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n
		margin := (hi - lo) * 3 / 8
		lo, hi = lo+margin, hi-margin
		for k := 0; ; k++ {
			tag := prefix + ":" + strconv.FormatInt(int64(k), 36)
			if s := tagSlot(tag); s >= lo && s < hi {
				tags[i] = tag
				break
			}
		}
	}
	return tags
}

// defaultShards is the number of shards of a store without [WithShards]. It
// spreads sessions evenly over a Cluster of up to 16 masters: 64 is a
// multiple of 1, 2, 4, 8 and 16, which then hold exactly equal shares, and
// for every other count up to 16 a master holds its fair share of shards
// give or take one, at most 1.2 times and at least 0.8 times the fair share
// (3 masters: 21, 21 and 22 shards). More shards would spread still more
// evenly, but Count and every sweep round send one small command per shard.
const defaultShards = 64

// maxShards bounds [WithShards]: past it, a shard's slot range is so narrow
// that finding its tag costs much, and Count sends thousands of commands.
const maxShards = 1024
