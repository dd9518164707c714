package redisstore

import "github.com/redis/go-redis/v9"

// The scripts run atomically in Redis, which is what makes each operation
// safe against every other instance: a check and the write it guards can
// never be split by another client's command.
//
// A record is a hash with the fields c (created), a (accessed), i (idle) and
// e (absolute deadline, 0 for none), all integer milliseconds, and one field
// per session key, "v" followed by the key. The index is a sorted set of
// fingerprints scored by deadline (+inf for none).

// luaDeadline is shared by the scripts that compute a deadline: the earlier
// of the idle deadline and the absolute one, 0 for none, as
// store.Record.Deadline computes it.
const luaDeadline = `
local function deadline(a, i, e)
  local d = 0
  if i > 0 then d = a + i end
  if e > 0 and (d == 0 or e < d) then d = e end
  return d
end
local function ms(n) return string.format('%.0f', n) end
local function score(d) if d == 0 then return '+inf' end return ms(d) end
local function expire(key, d, retention)
  if d == 0 then redis.call('PERSIST', key) else redis.call('PEXPIREAT', key, ms(d + retention)) end
end
`

// loadScript returns {touched, fields...} or nil. It slides the idle
// deadline (record, key expiry and index score together) when asked to touch
// a record that has not expired; an expired record comes back untouched.
//
// KEYS: record, index. ARGV: now, touch (1 or 0), fingerprint, retention.
var loadScript = redis.NewScript(luaDeadline + `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return false end
local m = redis.call('HMGET', KEYS[1], 'a', 'i', 'e')
local now, a, i, e = tonumber(ARGV[1]), tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
if not (a and i and e) then return {0, h} end
local d = deadline(a, i, e)
if ARGV[2] ~= '1' or (d ~= 0 and d <= now) or now <= a then return {0, h} end
redis.call('HSET', KEYS[1], 'a', ARGV[1])
if i > 0 then
  local nd = deadline(now, i, e)
  expire(KEYS[1], nd, tonumber(ARGV[4]))
  redis.call('ZADD', KEYS[2], 'XX', score(nd), ARGV[3])
end
return {1, h}
`)

// createScript stores a new record unless its ID is taken. It returns 1 on
// success and 0 when the ID exists.
//
// KEYS: record, index. ARGV: fingerprint, deadline, retention, then field and
// value pairs.
var createScript = redis.NewScript(luaDeadline + `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
for k = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[k], ARGV[k + 1]) end
local d = tonumber(ARGV[2])
expire(KEYS[1], d, tonumber(ARGV[3]))
redis.call('ZADD', KEYS[2], score(d), ARGV[1])
return 1
`)

// updateScript sets and deletes value fields of an existing record. It
// returns 0 when the record does not exist, so that a late write never brings
// a deleted session back (HSET alone would create a new hash).
//
// KEYS: record. ARGV: number of fields to delete, those fields, then field
// and value pairs to set.
var updateScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local dels = tonumber(ARGV[1])
for k = 2, dels + 1 do redis.call('HDEL', KEYS[1], ARGV[k]) end
for k = dels + 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[k], ARGV[k + 1]) end
return 1
`)

// deleteScript claims a session: it removes its index entry and its record
// and returns {claimed, fields...}. The index entry decides who claimed it,
// so that of all the deletes and sweeps that race for one session exactly
// one reports it. With a due time it claims only a session whose deadline is
// not after it (a sweep must not take a session that was touched since it
// listed it).
//
// KEYS: record, index. ARGV: fingerprint, due time or "".
var deleteScript = redis.NewScript(`
if ARGV[2] ~= '' then
  local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not s or tonumber(s) > tonumber(ARGV[2]) then return false end
end
local removed = redis.call('ZREM', KEYS[2], ARGV[1])
local h = redis.call('HGETALL', KEYS[1])
if #h > 0 then redis.call('DEL', KEYS[1]) end
if removed == 0 and #h == 0 then return false end
return {1, h}
`)

// renewScript moves a live record to a new ID, keeping its values, creation
// time and absolute deadline, with its access time set to now. It returns 1
// on success, 0 when the old record is missing or expired, and 2 when the new
// ID is taken.
//
// KEYS: old record, new record, index. ARGV: old fingerprint, new
// fingerprint, now, retention.
var renewScript = redis.NewScript(luaDeadline + `
local m = redis.call('HMGET', KEYS[1], 'a', 'i', 'e')
local now, a, i, e = tonumber(ARGV[3]), tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
if not (a and i and e) then return 0 end
local d = deadline(a, i, e)
if d ~= 0 and d <= now then return 0 end
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('ZSCORE', KEYS[3], ARGV[2]) then return 2 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('RENAME', KEYS[1], KEYS[2])
if now > a then redis.call('HSET', KEYS[2], 'a', ARGV[3]) else now = a end
local nd = deadline(now, i, e)
expire(KEYS[2], nd, tonumber(ARGV[4]))
redis.call('ZADD', KEYS[3], score(nd), ARGV[2])
return 1
`)
