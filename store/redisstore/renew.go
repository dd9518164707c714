package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
)

// Renewal moves a record from the old ID's shard to the new ID's shard,
// which on a Cluster may be another slot on another node: no one script can
// touch both. It is three scripts, each atomic on its own shard, each
// idempotent under the renewal's token:
//
//  1. start (old shard): the old record must be live and not already moving;
//     it is marked as moving to the new fingerprint under the token (fields
//     m, t and the renewal's time n), its index entry is replaced by the
//     renewal's member "move:<old>:<new>:<token>", scored a short grace
//     after the renewal, and its contents come back.
//  2. create (new shard): the new record is created from those contents,
//     unless the new ID is taken; the record keeps the token (field o) and
//     the script leaves a marker, so that a second run answers as the first.
//  3. end (old shard): the old record becomes the former key that answers
//     store.ErrRenewed, and the renewal's member leaves the index. If step 2
//     found the new ID taken, step 3 undoes step 1 instead.
//
// How the guarantees hold:
//
//   - Old ID dead at once: from step 1 on, every script reading the old
//     record sees its mark. Load finds nothing; Update, Delete and Renew
//     answer store.ErrRenewed; the sweep never claims it (its index member is
//     no fingerprint). After step 3 the former key answers the same.
//   - Exactly one winner: step 1 is the decision, one atomic script on the
//     old shard. A second renewal of the same ID (another token) finds the
//     mark, or the former key, and gets store.ErrRenewed; a Delete that
//     claimed the record first makes step 1 find nothing (ErrNotFound).
//   - No lost update: an Update of the old ID either ran before step 1, and
//     its value is in the contents step 1 returns, or finds the mark.
//   - No resurrection: step 2 creates the new record at most once per token
//     (its marker, and the token kept in the record), and step 3 acts only on
//     a record that is still moving under the token. When the session ends,
//     forget removes every former fingerprint's leftovers, a record still
//     marked as moving included, so no late step can bring it back. What is
//     left is the window of every marker: a step 2 delayed past markerTTL
//     after the new session already ended.
//   - A lost reply never loses an event: each step is sent again under the
//     same token and answers as before. A renewal that fails after step 1 ran
//     is never taken back (the old ID must stay dead): whoever finds the
//     half-done move finishes it. The renewal's index member falls due after
//     moveGrace, and the sweep of any instance then runs steps 2 and 3 from
//     the contents still in the old record. A session never has two index
//     entries that the sweep reports: the old record is never claimed, and if
//     its contents were lost before step 2 ran (the old record expired in
//     Redis, all instances down for markerTTL), step 2 is closed under the
//     token and the sweep claims the renewal's member and reports the
//     session once, by its old masked ID.
//   - Exactly-once Destroyed: the new record is claimed like any other;
//     nothing that renewal leaves behind is ever reported.
//   - The user stays: the user (field u) moves with the other fields, and
//     between steps 2 and 3 the entry in the user's index moves from the
//     old fingerprint to the new one (users.go). Step 3 runs only once that
//     worked, so a renewal that ended as moved has moved its entry; one
//     that did not finish has its entry moved by the sweep that finishes it.
//
// Step 3 failing does not fail the renewal: the new ID works and the old one
// is dead once step 2 ran; the sweep finishes step 3 later. Until then Count
// may count the session twice. Renew costs three round trips, four for a
// session bound to a user.

// moveGrace is how long after a renewal began its index member falls due,
// for the sweep to finish a renewal whose caller went away. A renewal that
// is still running meanwhile is not disturbed: finishing is idempotent.
const moveGrace = 30 * time.Second

// move is one renewal: the fingerprints it moves between and its token.
type move struct {
	oldFP, newFP, token string
}

func (m move) member() string { return "move:" + m.oldFP + ":" + m.newFP + ":" + m.token }

// parseMove reads a renewal's index member.
func parseMove(member string) (move, bool) {
	parts := strings.Split(member, ":")
	if len(parts) != 4 || parts[0] != "move" {
		return move{}, false
	}
	return move{oldFP: parts[1], newFP: parts[2], token: parts[3]}, true
}

// Outcomes of a renewal, as step 3 records them.
const (
	moved  = "moved"  // the session lives under the new ID
	undone = "undone" // the new ID was taken; the session stays under the old one
	gone   = "gone"   // the record was lost before it reached the new ID
)

// moveStartScript is step 1. It returns {1, fields} while the record is
// moving under this token (marking it when start is set and it is live),
// {1} once the move has ended (moved), {2} when it was undone (the new ID
// was taken), {3} when another renewal moved or is moving it, {0} when there
// is no live record to move (or, without start, no move under way), and
// {4} once it ended with its record gone.
//
// KEYS: old record, old index, end marker (old shard), old former key.
// ARGV: old fingerprint, new fingerprint, token, start (1 or 0), now, due
// time of the renewal's member, time the old record must be kept until,
// retention.
var moveStartScript = redis.NewScript(luaDeadline + `
local mk = redis.call('GET', KEYS[3])
if mk == 'moved' then return {1} end
if mk == 'undone' then return {2} end
if mk == 'gone' then return {4} end
local t = redis.call('HGET', KEYS[1], 't')
if t then
  if t == ARGV[3] then return {1, redis.call('HGETALL', KEYS[1])} end
  return {3}
end
if ARGV[4] ~= '1' then return {0} end
local m = redis.call('HMGET', KEYS[1], 'a', 'i', 'e')
local now, a, i, e = tonumber(ARGV[5]), tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
if not (a and i and e) then
  if redis.call('EXISTS', KEYS[4]) == 1 then return {3} end
  return {0}
end
local d = deadline(a, i, e)
if d ~= 0 and d <= now then return {0} end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0} end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[6], 'move:' .. ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3])
redis.call('HSET', KEYS[1], 'm', ARGV[2], 't', ARGV[3], 'n', ARGV[5])
local keep = tonumber(ARGV[7])
if d ~= 0 and d + tonumber(ARGV[8]) < keep then redis.call('PEXPIREAT', KEYS[1], ms(keep)) end
return {1, redis.call('HGETALL', KEYS[1])}
`)

// moveCreateScript is step 2. It returns 1 when the new record exists by
// this renewal (made now or before), 2 when the new ID is taken, and 0 when
// the renewal was closed without a record: called without fields (the old
// record is gone), it closes the token, so that no late run with fields
// creates the record after the sweep reported the session. A new ID that
// was renewed onward (its former key is there) was made by this renewal,
// however long ago: it answers 1, and is never created a second time,
// which would bring a dead ID back with a stale copy of the session.
//
// KEYS: new record, new index, renewal marker, new former key (new shard).
// ARGV: old fingerprint, new fingerprint, token, renewal time, retention,
// marker TTL, then field and value pairs.
var moveCreateScript = redis.NewScript(luaDeadline + `
local mk = redis.call('GET', KEYS[3])
if mk == '1' then return 1 end
if mk == 'x' then return 0 end
if redis.call('HGET', KEYS[1], 'o') == ARGV[3] then return 1 end
if redis.call('EXISTS', KEYS[4]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[2]) then return 2 end
if #ARGV < 7 then
  redis.call('SET', KEYS[3], 'x', 'PX', ARGV[6])
  return 0
end
for k = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[k], ARGV[k + 1]) end
local m = redis.call('HMGET', KEYS[1], 'a', 'i', 'e')
local now, a, i, e = tonumber(ARGV[4]), tonumber(m[1]) or 0, tonumber(m[2]) or 0, tonumber(m[3]) or 0
if now > a then redis.call('HSET', KEYS[1], 'a', ARGV[4]) else now = a end
redis.call('HSET', KEYS[1], 'o', ARGV[3])
local nd = deadline(now, i, e)
expire(KEYS[1], nd, tonumber(ARGV[5]))
redis.call('ZADD', KEYS[2], score(nd), ARGV[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[6])
return 1
`)

// moveEndScript is step 3: it records the outcome (moved: the old record
// becomes its former key, expiring at the old deadline; undone: the old
// record is live again, back in the index; gone: what is left of the old
// record goes) and removes the renewal's member from the index. It returns
// 1 when this call removed the member. For gone, removing the member is a
// claim like the delete script's, under the claim marker: a retry answers
// 1 again, and a claim released after every reply was lost answers 0.
//
// KEYS: old record, old index, end marker, old former key, claim marker
// (all of the old shard). ARGV: old fingerprint, new fingerprint,
// token, outcome, retention, marker TTL.
var moveEndScript = redis.NewScript(luaDeadline + `
local member = 'move:' .. ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3]
if ARGV[4] == 'gone' then
  local c = redis.call('HGETALL', KEYS[5])
  if #c > 0 then
    for k = 1, #c, 2 do if c[k] == '#r' then return 0 end end
    return 1
  end
end
if not redis.call('GET', KEYS[3]) then
  if redis.call('HGET', KEYS[1], 't') == ARGV[3] then
    local m = redis.call('HMGET', KEYS[1], 'a', 'i', 'e')
    local a, i, e = tonumber(m[1]) or 0, tonumber(m[2]) or 0, tonumber(m[3]) or 0
    local d = deadline(a, i, e)
    if ARGV[4] == 'moved' then
      redis.call('SET', KEYS[4], '1')
      expire(KEYS[4], d, tonumber(ARGV[5]))
      redis.call('DEL', KEYS[1])
    elseif ARGV[4] == 'undone' then
      redis.call('HDEL', KEYS[1], 'm', 't', 'n')
      expire(KEYS[1], d, tonumber(ARGV[5]))
      redis.call('ZADD', KEYS[2], score(d), ARGV[1])
    else
      redis.call('DEL', KEYS[1])
    end
  end
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[6])
end
local s = redis.call('ZSCORE', KEYS[2], member)
if not s then return 0 end
redis.call('ZREM', KEYS[2], member)
if ARGV[4] == 'gone' then
  redis.call('HSET', KEYS[5], '#s', s)
  redis.call('PEXPIRE', KEYS[5], ARGV[6])
end
return 1
`)

// Renew moves the record of oldID to newID (see the top of this file). A
// step whose reply is lost is sent again under the renewal's token.
func (s *redisStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	token, err := newToken()
	if err != nil {
		return fmt.Errorf("redisstore: renew: %w", err)
	}
	mv := move{oldFP: fingerprint(oldID), newFP: fingerprint(newID), token: token}
	code, fields, err := s.moveStart(ctx, mv, true, now)
	if err != nil {
		return s.fail("renew", err)
	}
	switch code {
	case 0, 4:
		return store.ErrNotFound
	case 2:
		return store.ErrExists
	case 3:
		return store.ErrRenewed
	}
	if fields == nil {
		return nil // ended as moved by another caller
	}
	created, err := s.moveCreate(ctx, mv, fields)
	if err != nil {
		return s.fail("renew", err)
	}
	switch created {
	case 1:
		// The renewal took effect: the user's index and step 3 are
		// tidying, which the sweep finishes if they fail here. The index
		// goes first, so that a renewal whose step 3 ran never needs it.
		if err := s.indexMove(ctx, fields, mv); err != nil {
			return nil
		}
		s.moveEnd(ctx, mv, moved, "")
		s.forget(ctx, fields.dropped)
		return nil
	case 2:
		if _, err := s.moveEnd(ctx, mv, undone, ""); err != nil {
			return s.fail("renew", err)
		}
		return store.ErrExists
	default:
		// Closed without a record: the sweep reports the session.
		return store.ErrNotFound
	}
}

// moveFields is what step 1 returns, made ready for step 2: the record's
// fields, its former fingerprints with the old one added, and those that
// fall off the list.
type moveFields struct {
	args    []any // field and value pairs for step 2
	dropped []string
	raw     []any  // the record's fields as step 1 returned them
	user    string // the user the session is bound to, "" for none
	created int64  // the session's creation time, the score of its user's index entry
}

// maxFormer is how many former IDs a session keeps answering
// store.ErrRenewed for.
const maxFormer = 8

// moveStart runs step 1; fields is nil unless the record is moving under
// the renewal's token.
func (s *redisStore) moveStart(ctx context.Context, mv move, start bool, now time.Time) (code int64, fields *moveFields, err error) {
	shard := s.shardOf(mv.oldFP)
	keys := []string{s.recordKey(mv.oldFP), s.indexKey(shard), s.markerKey(shard, endMarker, mv.token), s.formerKey(mv.oldFP)}
	startArg := "0"
	if start {
		startArg = "1"
	}
	var res []any
	_, err = retry(ctx, func() (err error) {
		res, err = s.eval(ctx, moveStartScript, keys, mv.oldFP, mv.newFP, mv.token, startArg, millis(now),
			millis(now.Add(moveGrace)), millis(now.Add(markerTTL)), s.retention.Milliseconds()).Slice()
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if len(res) == 0 {
		return 0, nil, errors.New("unexpected script reply")
	}
	code, _ = res[0].(int64)
	if len(res) < 2 {
		return code, nil, nil
	}
	raw, _ := res[1].([]any)
	f := &moveFields{raw: raw}
	var former []string
	for i := 0; i+1 < len(raw); i += 2 {
		name, _ := raw[i].(string)
		value, _ := raw[i+1].(string)
		switch name {
		case "m", "t", "o":
		case "n":
			f.args = append([]any{value}, f.args...) // the renewal's time goes first
		case "p":
			former = strings.Fields(value)
		case "u", "c":
			if name == "u" {
				f.user = value
			} else {
				f.created, _ = parseMillis(value)
			}
			f.args = append(f.args, name, value)
		default:
			f.args = append(f.args, name, value)
		}
	}
	if len(f.args) == 0 || len(f.args)%2 != 1 {
		return 0, nil, errors.New("moving record lacks the renewal's time")
	}
	former = append(former, mv.oldFP)
	if over := len(former) - maxFormer; over > 0 {
		f.dropped, former = former[:over], former[over:]
	}
	f.args = append(f.args, "p", strings.Join(former, " "))
	return code, f, nil
}

// moveCreate runs step 2: with fields it creates the new record; without,
// the old record is gone and it closes the renewal.
func (s *redisStore) moveCreate(ctx context.Context, mv move, fields *moveFields) (int64, error) {
	shard := s.shardOf(mv.newFP)
	keys := []string{s.recordKey(mv.newFP), s.indexKey(shard), s.markerKey(shard, renewMarker, mv.token), s.formerKey(mv.newFP)}
	at := any(int64(0))
	var pairs []any
	if fields != nil {
		at, pairs = fields.args[0], fields.args[1:]
	}
	args := append([]any{mv.oldFP, mv.newFP, mv.token, at, s.retention.Milliseconds(), markerTTL.Milliseconds()}, pairs...)
	var n int64
	_, err := retry(ctx, func() (err error) {
		n, err = s.eval(ctx, moveCreateScript, keys, args...).Int64()
		return err
	})
	return n, err
}

// moveEnd runs step 3 and reports whether this call removed the renewal's
// member. For gone, claimToken names the claim; a claim whose every reply
// was lost is left in doubt, for the store's next call to release.
func (s *redisStore) moveEnd(ctx context.Context, mv move, outcome, claimToken string) (bool, error) {
	shard := s.shardOf(mv.oldFP)
	if claimToken == "" {
		claimToken = mv.token
	}
	keys := []string{s.recordKey(mv.oldFP), s.indexKey(shard), s.markerKey(shard, endMarker, mv.token),
		s.formerKey(mv.oldFP), s.markerKey(shard, claimMarker, claimToken)}
	var n int64
	doubtful, err := retry(ctx, func() (err error) {
		n, err = s.eval(ctx, moveEndScript, keys, mv.oldFP, mv.newFP, mv.token, outcome,
			s.retention.Milliseconds(), markerTTL.Milliseconds()).Int64()
		return err
	})
	if err != nil {
		if doubtful && outcome == gone {
			s.doubts.add(doubt{kind: claimMarker, token: claimToken, fp: mv.oldFP, member: mv.member()})
		}
		return false, err
	}
	return n == 1, nil
}

// finishMove completes a renewal whose member the sweep found due: its
// caller went away, or is slow. It reports the session as expired only when
// its record was lost before it reached the new ID (outcome gone), and then
// only to the one caller that claimed the renewal's member.
func (s *redisStore) finishMove(ctx context.Context, mv move) (*store.Entry, error) {
	code, fields, err := s.moveStart(ctx, mv, false, time.Time{})
	if err != nil {
		return nil, err
	}
	outcome := ""
	switch code {
	case 1:
		if fields == nil {
			outcome = moved
		}
	case 2:
		outcome = undone
	case 3, 4:
		// 4: ended with its record gone, reported by whoever claimed the
		// member. 3: the record moves under another token, which no
		// member of this token outlives but a released claim: the member
		// is stale, and the session lives on.
		outcome = gone
	}
	if outcome == "" {
		created, err := s.moveCreate(ctx, mv, fields)
		if err != nil {
			return nil, err
		}
		switch {
		case created == 1:
			outcome = moved
		case created == 2 && fields != nil:
			outcome = undone
		default:
			outcome = gone
		}
	}
	if outcome == moved && fields != nil {
		// Before step 3, as in Renew: a move whose step 3 ran has its
		// user's index moved too.
		if err := s.indexMove(ctx, fields, mv); err != nil {
			return nil, err
		}
	}
	claimToken := ""
	if outcome == gone {
		if claimToken, err = newToken(); err != nil {
			return nil, err
		}
	}
	removed, err := s.moveEnd(ctx, mv, outcome, claimToken)
	if err != nil {
		return nil, err
	}
	if outcome == moved && fields != nil {
		s.forget(ctx, fields.dropped)
	}
	if outcome != gone || !removed || code == 3 {
		return nil, nil
	}
	if fields != nil && fields.user != "" {
		s.unindex(ctx, []boundFP{{user: fields.user, fp: mv.oldFP}})
	}
	e := &store.Entry{MaskedID: mv.oldFP[:min(maskedLen, len(mv.oldFP))]}
	if fields != nil {
		e.Record, _ = s.decodeReply([]any{int64(1), fields.raw}, false)
	}
	return e, nil
}
