package redisstore

import "github.com/redis/go-redis/v9"

// The scripts run atomically in Redis, which is what makes each operation
// safe against every other instance: a check and the write it guards can
// never be split by another client's command. Each script touches the keys
// of one shard only (one hash tag, so one Cluster slot); what spans two
// shards, renewal, is a sequence of scripts (see renew.go).
//
// A record is a hash with the fields c (created), a (accessed), i (idle) and
// e (absolute deadline, 0 for none), all integer milliseconds, u (the user
// the session is bound to, absent for none; see users.go), and one field
// per session key, "v" followed by the key. A renewed record also has p, the
// fingerprints it was renewed from, oldest first, separated by spaces, and
// o, the token of the renewal that made it. A record that a renewal is
// moving away has m (the fingerprint it moves to), t (the renewal's token)
// and n (the renewal's time). Each shard's index is a sorted set of the
// fingerprints of its sessions scored by deadline (+inf for none), and of
// the renewals under way from it (members "move:<old>:<new>:<token>").
//
// Renewal leaves a small key under the old fingerprint, in its shard (the
// "former" key, see redisStore.formerKey), so that a late Update, Delete or
// Renew of the old ID learns that the session was renewed rather than ended
// (store.ErrRenewed). It expires with the old record's deadline, and goes
// sooner when the session it was renewed to ends (redisStore.forget); a
// session keeps the former keys of its last maxFormer renewals, so they
// never outnumber sessions by more.

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

// touchScript slides the idle deadline of a record that a read found due
// for a touch (see redisStore.touchDue): it sets the access time to now and
// moves the key's expiry and the index score with it, and returns 1; it
// returns 0 and changes nothing when what the read saw no longer holds: the
// record is gone (deleted, claimed by a sweep, expired by Redis), a renewal
// is moving it away, it has expired at now (its absolute deadline was moved
// since), or its access time is already at or past now (another read touched
// it). So a touch never brings back or extends a session that ended or moved
// after the read, and the access time only moves forward: a touch run twice,
// or after a later one, changes nothing, so a lost reply is harmless.
//
// KEYS: record, index. ARGV: now, retention. The fingerprint, the index
// member, is the last 43 characters of the record's key.
var touchScript = redis.NewScript(luaDeadline + `
local m = redis.call('HMGET', KEYS[1], 'a', 'i', 'e', 'm')
if m[4] then return 0 end
local now, a, i, e = tonumber(ARGV[1]), tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
if not (a and i and e) then return 0 end
local d = deadline(a, i, e)
if (d ~= 0 and d <= now) or now <= a then return 0 end
redis.call('HSET', KEYS[1], 'a', ARGV[1])
if i > 0 then
  local nd = deadline(now, i, e)
  expire(KEYS[1], nd, tonumber(ARGV[2]))
  redis.call('ZADD', KEYS[2], 'XX', score(nd), string.sub(KEYS[1], -43))
end
return 1
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
// the record was renewed away (its former key is there) or is being moved
// away.
//
// KEYS: record, former key of the same fingerprint. ARGV: number of fields
// to delete, those fields, then field and value pairs to set.
var updateScript = redis.NewScript(updateSource)

// updateSource is updateScript's Lua, sent when a server lacks the script
// (see runUpdate).
const updateSource = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
  return 0
end
if redis.call('HEXISTS', KEYS[1], 'm') == 1 then return 2 end
local dels = tonumber(ARGV[1])
for k = 2, dels + 1 do redis.call('HDEL', KEYS[1], ARGV[k]) end
for k = dels + 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[k], ARGV[k + 1]) end
return 1
`

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
// The claimed record's p field comes back with it: the caller forgets those
// former keys, which live in other shards.
//
// A Delete (no due time) of a fingerprint that was renewed away, or that a
// renewal is moving away, answers 2; such a record is never claimed, since
// its session lives on under the new ID.
//
// With a user (DeleteUserSession) it claims only a record bound to that
// user (field u): a session of another user, or one whose record Redis
// already expired and so cannot show whose it was, is left alone.
//
// KEYS: record, index, marker, former key of the fingerprint. ARGV:
// fingerprint, due time or "", marker TTL, and optionally the user.
var deleteScript = redis.NewScript(`
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
if redis.call('HEXISTS', KEYS[1], 'm') == 1 then
  if ARGV[2] == '' then return 2 end
  return false
end
if ARGV[4] and ARGV[4] ~= '' and redis.call('HGET', KEYS[1], 'u') ~= ARGV[4] then return false end
local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
if ARGV[2] ~= '' and (not s or tonumber(s) > tonumber(ARGV[2])) then return false end
local h = redis.call('HGETALL', KEYS[1])
if not s and #h == 0 then
  if ARGV[2] == '' and redis.call('EXISTS', KEYS[4]) == 1 then return 2 end
  return false
end
if s then redis.call('ZREM', KEYS[2], ARGV[1]) end
if #h > 0 then redis.call('RENAME', KEYS[1], KEYS[3]) end
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
// there is nothing to do. The session's former keys are still there: a
// claim's caller forgets them only once it has the claim's reply.
//
// It returns 0 when there was nothing to take back, 1 when it did, and
// {1, user, created} when the record it put back is bound to a user, whose
// index the caller then adds the session to again (the claim's caller took
// it out, or a listing found it gone and did).
//
// KEYS: marker, record, index. ARGV: index member (the fingerprint, or a
// renewal's member for a renewal that lost its record), retention, marker
// TTL.
var releaseClaimScript = redis.NewScript(luaDeadline + `
local m = redis.call('HGETALL', KEYS[1])
if #m == 0 then return 0 end
local s = ''
for k = 1, #m, 2 do
  if m[k] == '#r' then return 0 end
  if m[k] == '#s' then s = m[k + 1] end
end
local bound = false
if #m > 2 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('HDEL', KEYS[2], '#s')
  local t = redis.call('HMGET', KEYS[2], 'a', 'i', 'e', 'u', 'c')
  local a, i, e = tonumber(t[1]), tonumber(t[2]), tonumber(t[3])
  if a and i and e then expire(KEYS[2], deadline(a, i, e), tonumber(ARGV[2])) end
  if t[4] and t[4] ~= '' then bound = {1, t[4], t[5] or '0'} end
else
  redis.call('DEL', KEYS[1])
end
if s ~= '' then redis.call('ZADD', KEYS[3], 'NX', s, ARGV[1]) end
redis.call('HSET', KEYS[1], '#r', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if bound then return bound end
return 1
`)

// resetScript removes a record that does not decode, for
// WithResetOnDecodeError, and returns its p field, the former fingerprints
// for the caller to forget; its index entry stays, for the sweep to report
// the session.
//
// KEYS: record.
var resetScript = redis.NewScript(`
local p = redis.call('HGET', KEYS[1], 'p')
redis.call('DEL', KEYS[1])
return p
`)

// forgetScript removes what renewal left under a former fingerprint of a
// session that ended, or that fell off the session's list of former IDs:
// its former key and, when the renewal never got to finish (the record is
// still marked as moving), the old record and the renewal's index member,
// so that no late step of that renewal can act on it.
//
// KEYS: former key, record, index (all of the former fingerprint's shard).
// ARGV: the former fingerprint.
var forgetScript = redis.NewScript(`
redis.call('DEL', KEYS[1])
local m = redis.call('HMGET', KEYS[2], 'm', 't')
if m[1] and m[2] then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[3], 'move:' .. ARGV[1] .. ':' .. m[1] .. ':' .. m[2])
end
return 1
`)
