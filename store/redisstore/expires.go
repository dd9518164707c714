package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// setExpiresScript moves a record's absolute deadline (field e), and with
// it the record's deadline in its shard's index and its Redis expiry. It
// returns 0 when the record does not exist and 2 when it was renewed away or
// is being moved away, as updateScript does, and 1 otherwise.
//
// A deadline already passed would make Redis delete the record at once
// (its expiry is the deadline plus the retention), and with it the values
// and the user its Destroyed event reports: the record is then kept until
// a floor the caller gives, for Load to show it expired and the sweep, which
// finds it due in the index, to claim it whole.
//
// KEYS: record, index, former key of the same fingerprint. ARGV:
// fingerprint, absolute deadline (0: none), retention, floor of the Redis
// expiry.
var setExpiresScript = redis.NewScript(luaDeadline + `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 2 end
  return 0
end
if redis.call('HEXISTS', KEYS[1], 'm') == 1 then return 2 end
local m = redis.call('HMGET', KEYS[1], 'a', 'i')
local a, i, e = tonumber(m[1]) or 0, tonumber(m[2]) or 0, tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'e', ARGV[2])
local d = deadline(a, i, e)
local floor = tonumber(ARGV[4])
if d ~= 0 and d + tonumber(ARGV[3]) < floor then
  redis.call('PEXPIREAT', KEYS[1], ms(floor))
else
  expire(KEYS[1], d, tonumber(ARGV[3]))
end
redis.call('ZADD', KEYS[2], 'XX', score(d), ARGV[1])
return 1
`)

// SetExpires moves the absolute deadline of id's session, in one round
// trip. Like Update it is sent again as it is when its reply is lost: it
// sets the same deadline again.
func (s *redisStore) SetExpires(ctx context.Context, id string, expires time.Time) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	fp := fingerprint(id)
	keys := []string{s.recordKey(fp), s.indexKey(s.shardOf(fp)), s.formerKey(fp)}
	// An expired record is kept at least markerTTL, as a renewal keeps the
	// record it moves.
	floor := millis(time.Now().Add(markerTTL))
	return s.writeRecord(ctx, "set expires", func() (int, error) {
		return s.eval(ctx, setExpiresScript, keys, fp, millis(expires), s.retention.Milliseconds(), floor).Int()
	})
}
