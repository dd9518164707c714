package redisstore

import "github.com/redis/go-redis/v9"

// The scripts run atomically in Redis, which is what makes each operation
// safe against every other instance: a check and the write it guards can
// never be split by another client's command.
//
// A record is a hash with the fields c (created), a (accessed), i (idle) and
// e (absolute deadline, 0 for none), all integer milliseconds, and one field
// per session key, "v" followed by the key; a renewed record also has p, the
// fingerprints it was renewed from, oldest first, separated by spaces. The
// index is a sorted set of fingerprints scored by deadline (+inf for none).
//
// Renewal leaves a small key under the old fingerprint (the "former" key,
// see Store.formerKey), so that a late Update, Delete or Renew of the old ID
// learns that the session was renewed rather than ended (store.ErrRenewed).
// It expires with the old record's deadline, and goes sooner when the
// session it was renewed to ends; a session keeps the former keys of its
// last maxFormer renewals, so they never outnumber sessions by more.

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
local maxFormer = 8
local function forget_former(prefix, p)
  if not p then return end
  for fp in string.gmatch(p, '%S+') do redis.call('DEL', prefix .. fp) end
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
// success and 0 when the ID exists. On success it leaves the call's marker
// (see markerTTL), and a run that finds it answers 1 again: a retry after a
// lost reply must not report the call's own session as taken.
//
// KEYS: record, index, marker. ARGV: fingerprint, deadline, retention,
// marker TTL, then field and value pairs.
var createScript = redis.NewScript(luaDeadline + `
if redis.call('EXISTS', KEYS[3]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
for k = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[k], ARGV[k + 1]) end
local d = tonumber(ARGV[2])
expire(KEYS[1], d, tonumber(ARGV[3]))
redis.call('ZADD', KEYS[2], score(d), ARGV[1])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
return 1
`)

// releaseCreateScript takes back a create whose every reply was lost: the
// caller was told it failed, so nobody knows the ID, and a session nobody
// saw created must not later be reported destroyed. It removes the record
// only if the call's marker shows that the create ran, and turns the marker
// into a tombstone, so that a late copy of the create cannot run after it.
//
// KEYS: marker, record, index. ARGV: fingerprint, marker TTL.
var releaseCreateScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= '1' then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SET', KEYS[1], 'released', 'PX', ARGV[2])
return 1
`)

// updateScript sets and deletes value fields of an existing record. It
// returns 0 when the record does not exist, so that a late write never brings
// a deleted session back (HSET alone would create a new hash), and 2 when
// the record was renewed away (its former key is there).
//
// KEYS: record, former key of the same fingerprint. ARGV: number of fields
// to delete, those fields, then field and value pairs to set.
var updateScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
  return 0
end
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
// The record is not deleted but renamed to the call's marker, a hash that
// also holds the index score under "#s" (fields starting with "#" are the
// marker's own; no record field does). A run that finds the marker answers
// from it, as the first run did: a retry after a lost reply learns that the
// session is its own, with its values, and nobody else can claim it again.
// A marker that releaseClaimScript has handed back ("#r") answers nothing.
// The script reads before it writes, so that an error stops it before any
// change.
//
// A claimed record that was renewed from another fingerprint takes that
// fingerprint's former key with it.
//
// A Delete (no due time) of a fingerprint that was renewed away answers 2.
//
// KEYS: record, index, marker, former key of the fingerprint. ARGV:
// fingerprint, due time or "", marker TTL, prefix of former keys.
var deleteScript = redis.NewScript(luaDeadline + `
local m = redis.call('HGETALL', KEYS[3])
if #m > 0 then
  local h = {}
  for k = 1, #m, 2 do
    if m[k] == '#r' then return false end
    if string.sub(m[k], 1, 1) ~= '#' then
      h[#h + 1] = m[k]
      h[#h + 1] = m[k + 1]
    end
  end
  return {1, h}
end
local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
if ARGV[2] ~= '' and (not s or tonumber(s) > tonumber(ARGV[2])) then return false end
local h = redis.call('HGETALL', KEYS[1])
if not s and #h == 0 then
  if ARGV[2] == '' and redis.call('EXISTS', KEYS[4]) == 1 then return 2 end
  return false
end
if s then redis.call('ZREM', KEYS[2], ARGV[1]) end
if #h > 0 then
  forget_former(ARGV[4], redis.call('HGET', KEYS[1], 'p'))
  redis.call('RENAME', KEYS[1], KEYS[3])
end
redis.call('HSET', KEYS[3], '#s', s or '')
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {1, h}
`)

// releaseClaimScript takes back a claim whose every reply was lost: the
// caller was told it failed and reported nothing, so the session goes back
// where it was (its record, with its expiry, and its index entry), for a
// later Delete or the sweep of any instance to claim and report. The marker
// becomes a tombstone ("#r"), so that a late copy of the claim finds it and
// claims nothing. Without a marker (it expired, or the claim never ran)
// there is nothing to do.
//
// The claim forgot the session's former keys; they come back with the
// record, expiring at its deadline.
//
// KEYS: marker, record, index. ARGV: fingerprint, retention, marker TTL,
// prefix of former keys.
var releaseClaimScript = redis.NewScript(luaDeadline + `
local m = redis.call('HGETALL', KEYS[1])
if #m == 0 then return 0 end
local s = ''
for k = 1, #m, 2 do
  if m[k] == '#r' then return 0 end
  if m[k] == '#s' then s = m[k + 1] end
end
if #m > 2 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('HDEL', KEYS[2], '#s')
  local t = redis.call('HMGET', KEYS[2], 'a', 'i', 'e', 'p')
  local a, i, e = tonumber(t[1]), tonumber(t[2]), tonumber(t[3])
  for fp in string.gmatch(t[4] or '', '%S+') do
    redis.call('SET', ARGV[4] .. fp, '1')
    if a and i and e then expire(ARGV[4] .. fp, deadline(a, i, e), tonumber(ARGV[2])) end
  end
  if a and i and e then expire(KEYS[2], deadline(a, i, e), tonumber(ARGV[2])) end
else
  redis.call('DEL', KEYS[1])
end
if s ~= '' then redis.call('ZADD', KEYS[3], 'NX', s, ARGV[1]) end
redis.call('HSET', KEYS[1], '#r', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// resetScript removes a record that does not decode, with its former keys,
// for WithResetOnDecodeError; its index entry stays, for the sweep to report
// the session.
//
// KEYS: record. ARGV: prefix of former keys.
var resetScript = redis.NewScript(luaDeadline + `
forget_former(ARGV[1], redis.call('HGET', KEYS[1], 'p'))
redis.call('DEL', KEYS[1])
return 1
`)

// renewScript moves a live record to a new ID, keeping its values, creation
// time and absolute deadline, with its access time set to now. It returns 1
// on success, 0 when the old record is missing or expired, 2 when the new
// ID is taken, and 3 when the old one was renewed away. On success it leaves the call's marker, and a run that finds
// it answers 1 again: a retry after a lost reply would otherwise find the old
// ID gone and report the call's own renewal as a failure.
//
// The old fingerprint's former key is set, until the old deadline, and
// joins the record's list p; the former keys past the last maxFormer go. A
// renewal of a fingerprint that was renewed away answers 3.
//
// KEYS: old record, new record, index, marker, old fingerprint's former key.
// ARGV: old fingerprint, new fingerprint, now, retention, marker TTL, prefix
// of former keys.
var renewScript = redis.NewScript(luaDeadline + `
if redis.call('EXISTS', KEYS[4]) == 1 then return 1 end
local m = redis.call('HMGET', KEYS[1], 'a', 'i', 'e')
local now, a, i, e = tonumber(ARGV[3]), tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
if not (a and i and e) then
  if redis.call('EXISTS', KEYS[5]) == 1 then return 3 end
  return 0
end
local d = deadline(a, i, e)
if d ~= 0 and d <= now then return 0 end
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('ZSCORE', KEYS[3], ARGV[2]) then return 2 end
redis.call('ZREM', KEYS[3], ARGV[1])
local former = {}
for fp in string.gmatch(redis.call('HGET', KEYS[1], 'p') or '', '%S+') do former[#former + 1] = fp end
former[#former + 1] = ARGV[1]
while #former > maxFormer do
  redis.call('DEL', ARGV[6] .. table.remove(former, 1))
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], 'p', table.concat(former, ' '))
redis.call('SET', KEYS[5], '1')
expire(KEYS[5], d, tonumber(ARGV[4]))
if now > a then redis.call('HSET', KEYS[2], 'a', ARGV[3]) else now = a end
local nd = deadline(now, i, e)
expire(KEYS[2], nd, tonumber(ARGV[4]))
redis.call('ZADD', KEYS[3], score(nd), ARGV[2])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[5])
return 1
`)
