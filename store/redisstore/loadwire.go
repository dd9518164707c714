package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
)

// A read is the request every session pays, so it is built to cost no more
// than a plain GET where it can: the record is read with one HGETALL, no
// script, and whether it has expired and whether a touch is due is decided
// here. Running a script on every read cost 1.4 to 1.6 GET round trips (the
// Lua work, not the EVALSHA, was most of it; issue 12). Only a read that
// moves the idle deadline by at least the touch granularity sends a second
// command, touchScript, which checks again in Redis what the read saw.

// fingerprintKey returns the record key of id and its fingerprint, which is
// the key's tail: one allocation for both, where fingerprint and recordKey
// make four.
func (s *redisStore) fingerprintKey(id string) (key, fp string) {
	enc, tag := s.fingerprintTag(id)
	var b strings.Builder
	b.Grow(len(tag) + len("{}:s:") + len(enc))
	b.WriteByte('{')
	b.WriteString(tag)
	b.WriteString("}:s:")
	b.Write(enc[:])
	key = b.String()
	return key, key[len(key)-len(enc):]
}

// fingerprintTag returns the fingerprint of id, on the stack, and the hash
// tag of its shard: what the keys of id are built from.
func (s *redisStore) fingerprintTag(id string) (fp [43]byte, tag string) {
	var in [64]byte
	sum := sha256.Sum256(append(in[:0], id...))
	base64.RawURLEncoding.Encode(fp[:], sum[:]) // 43 = base64.RawURLEncoding.EncodedLen(sha256.Size)
	return fp, s.tags[s.shardOf(string(fp[:8]))]
}

// readRecord returns the fields of the record under key, none when there is
// no record. It is a plain HGETALL; go-redis reads it into a map of strings
// of their own, so the record decoded from it keeps no reply buffer alive.
func (s *redisStore) readRecord(ctx context.Context, key string) (map[string]string, error) {
	cmd := redis.NewMapStringStringCmd(ctx, "hgetall", key)
	_ = s.client.Process(ctx, cmd)
	return cmd.Result()
}

// decodeFields builds a record from the fields of its hash; any field that
// does not decode is an error.
func (s *redisStore) decodeFields(h map[string]string) (store.Record, error) {
	d := recordDecoder{s: s, strict: true, sizeHint: max(len(h)-4, 0)}
	for name, value := range h {
		if err := d.field(name, value); err != nil {
			return store.Record{}, err
		}
	}
	return d.done()
}

// touchDue reports whether a read of rec at nowMillis should slide its idle
// deadline: rec has not expired, the access time moves forward, and by at
// least the touch granularity (see WithTouchGranularity). It is the rule
// the load script applied in Redis before issue 12, now applied to the
// record as read; touchScript checks the parts of it that another client
// can change in between.
func (s *redisStore) touchDue(rec store.Record, nowMillis int64) bool {
	a, i, e := millis(rec.Accessed), rec.Idle.Milliseconds(), millis(rec.Expires)
	if d := deadlineMillis(a, i, e); d != 0 && d <= nowMillis {
		return false // expired: handed back untouched, for the caller to end
	}
	if nowMillis <= a {
		return false
	}
	g := s.granularity.Milliseconds()
	if s.granularity < 0 {
		g = maxGranularity.Milliseconds()
		if i > 0 && i/100 < g {
			g = i / 100
		}
	}
	if i > 0 && g > i/2 {
		g = i / 2
	}
	return nowMillis-a >= g
}

// deadlineMillis is luaDeadline's deadline in Go: the earlier of the idle
// deadline and the absolute one, 0 for none.
func deadlineMillis(a, i, e int64) int64 {
	var d int64
	if i > 0 {
		d = a + i
	}
	if e > 0 && (d == 0 || e < d) {
		d = e
	}
	return d
}

// touch runs touchScript on key, the record of fp, and reports whether it
// moved the access time to nowMillis. It is not retried and does not wait
// for replicas (see touchScript): a touch that is lost, whether its reply
// or the write itself in a failover, leaves the session to expire earlier
// than its last read allows, never later.
func (s *redisStore) touch(ctx context.Context, key, fp string, nowMillis int64) (bool, error) {
	n, err := touchScript.Run(ctx, s.client, []string{key, s.indexKey(s.shardOf(fp))},
		nowMillis, s.retention.Milliseconds()).Int()
	return n == 1, err
}

var errBadReply = errors.New("unexpected script reply")
