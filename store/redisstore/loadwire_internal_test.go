package redisstore

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// pack is the Go twin of the load script's pack, for tests.
func pack(touched string, fields ...string) string {
	var b strings.Builder
	b.WriteString(touched)
	for _, f := range fields {
		b.WriteString(strconv.Itoa(len(f)) + ":" + f)
	}
	return b.String()
}

// TestDecodeLoadReplyRefusesMalformed: a reply that is not exactly a flag
// and whole length-prefixed strings is refused, never read past its end or
// half-used.
func TestDecodeLoadReplyRefusesMalformed(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialed
	t.Cleanup(func() { _ = client.Close() })
	s := newStore(client)
	times := []string{"c", "1764140000000", "a", "1764140000000", "i", "1800000", "e", "0"}
	good := pack("1", append(times, "vk", "sx")...)
	rec, touched, err := s.decodeLoadReply(good)
	require.NoError(t, err)
	assert.True(t, touched)
	assert.Equal(t, map[string]any{"k": "x"}, rec.Values)

	for name, reply := range map[string]string{
		"empty":                 "",
		"flag only, no times":   "1",
		"bad flag":              "2" + good[1:],
		"cut short":             good[:len(good)-1],
		"length past the end":   good + "9:abc",
		"no colon":              good + "12",
		"negative length":       good + "-1:",
		"signed length":         "1+1:c" + good[4:],
		"huge length":           good + "99999999999:x",
		"name without a value":  good + "1:u",
		"leading colon":         good + ":x",
		"value does not decode": pack("0", append(times, "vk", "?")...),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.decodeLoadReply(reply)
			assert.Error(t, err)
		})
	}
}
