package redisstore

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
)

// TestFingerprintKeyIsRecordKey checks that the read path's one-allocation
// key is the key every other operation writes the record under, for IDs of
// any length (the hash input is copied through a buffer of 64 bytes).
func TestFingerprintKeyIsRecordKey(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialed
	t.Cleanup(func() { _ = client.Close() })
	for _, shards := range []int{1, 16, 1000} {
		s := newStore(client, WithPrefix("fk"), WithShards(shards))
		for _, id := range []string{"", "a", strings.Repeat("x", 43), strings.Repeat("y", 64), strings.Repeat("z", 65), strings.Repeat("w", 300)} {
			key, fp := s.fingerprintKey(id)
			assert.Equal(t, fingerprint(id), fp, "fingerprint of a %d-byte ID", len(id))
			assert.Equal(t, s.recordKey(fingerprint(id)), key, "record key of a %d-byte ID, %d shards", len(id), shards)
		}
	}
}
