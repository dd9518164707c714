package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
)

// Sessions per user.
//
// A session's user is the field u of its record, so every script that hands
// a record back (Load, Delete, the sweep's claims) hands the user back too,
// and renewal carries it to the new record with the other fields.
//
// Each user has an index: a sorted set of the fingerprints of the
// sessions bound to the user, scored by their creation time in
// milliseconds, under a hash tag of its own made from the SHA-256 of the
// user name (see userKey). The users thus spread over every Cluster master,
// and no key name holds a user name. Each operation on an index is
// O(log n); nothing scans.
//
// The index lives in another slot than the sessions it names, so no script
// can change a record and its index entry together: the index is advisory,
// on every topology alike. Every change of a record is followed by the
// matching change of the index (SetUser and Create add, Delete, the sweep
// and DeleteUserSession remove, Renew moves the entry to the new
// fingerprint), and the order is what keeps it safe:
//
//   - An entry is added only after its record exists bound to the user, so
//     a listing that finds no such record behind an entry knows the entry is
//     stale (the record ended, or is bound to someone else) and removes it.
//     A listing never shows a stale entry: it reads each record it lists.
//   - Removing a stale entry could race with the record coming back bound
//     to the user (a rebinding, or a claim put back after its replies were
//     lost, each of which adds the entry once its record is back). So the
//     listing reads the records of the entries it removed again, and adds
//     back those that are bound to the user by then.
//   - A renewal writes the new entry (and removes the old one) after its
//     step 2 and before its step 3 (see renew.go). If that fails, or the
//     renewing process dies, the renewal's index member falls due and the
//     sweep that finishes the move writes the entry; until then a listing
//     that finds the old record moving follows it to the new record, lists
//     that and writes its entry. Between a renewal's steps 1 and 2 (normally
//     well under a millisecond; if the renewing process dies there, until a
//     sweep finishes the move, at most moveGrace and a sweep interval) the
//     session has no new record yet, and is not listed.
//   - A write of an entry whose every reply is lost stays in doubt and is
//     sent again at the store's next call (see settle). A process that
//     stops between binding a session and writing its entry leaves the
//     session unlisted until it is bound again, renewed (renewal writes the
//     entry from the record's user) or ends.
//
// Stale entries left by lost replies and crashes stay until that user's
// next listing, as do the entries of sessions that Redis expired before any
// sweep claimed them; each costs a few dozen bytes.
//
// The layout version (see layout.go) stays 2: the user indexes are keys of
// a kind earlier releases never read, and the field u is one they skip, so
// data written by either release stays readable by the other. An instance
// of an earlier release does not keep the indexes up to date, though: in a
// fleet that mixes releases, a session such an instance renews drops out of
// its user's list (until it is bound or renewed again by this release), and
// one it deletes leaves a stale entry behind.

// userKey returns the key of user's index. Its hash tag is the store's
// prefix and the user's SHA-256, so that users spread over the Cluster's
// slots rather than all sitting in the slot of one tag. A shard's tag is
// "<prefix>:<base36>", without a second colon, so it never equals a
// user's tag; the name "sessions" is one no store with the tag as its
// prefix writes.
func (s *redisStore) userKey(user string) string {
	h := sha256.Sum256([]byte(user))
	return "{" + s.prefix + ":u:" + base64.RawURLEncoding.EncodeToString(h[:]) + "}:sessions"
}

// boundFP is a session's fingerprint with the user it is bound to.
type boundFP struct{ user, fp string }

// setUserScript binds a record to a user (field u), or unbinds it for "".
// It returns {0} when the record does not exist, {2} when it was renewed
// away (its former key is there) or is being moved away, and {1, the user
// it was bound to before ("" for none), its creation time}.
//
// KEYS: record, former key of the same fingerprint. ARGV: user.
var setUserScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {2} end
  return {0}
end
if redis.call('HEXISTS', KEYS[1], 'm') == 1 then return {2} end
local m = redis.call('HMGET', KEYS[1], 'u', 'c')
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'u') else redis.call('HSET', KEYS[1], 'u', ARGV[1]) end
return {1, m[1] or '', m[2] or '0'}
`)

// indexScript adds a member to a user's index and removes another, at once.
// It is a script, not two commands, so that the store's writes with
// WithReplicaAcks wait for the replicas (see eval) and a renewal moves its
// entry in one atomic step.
//
// KEYS: the user's index. ARGV: score, member to add, member to remove
// ("" for none).
var indexScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('ZREM', KEYS[1], ARGV[3]) end
return 1
`)

// SetUser binds id's session to user ("" unbinds it): its record's field,
// then its user's index, and out of the index of the user it was bound to
// before. It costs two round trips, three when it moves the session from
// one user to another.
//
// A binding whose reply is lost is sent again; the second run sees the
// session already bound to user, so the session's entry in its former
// user's index is left, stale, for that user's next listing to remove.
func (s *redisStore) SetUser(ctx context.Context, id, user string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	fp := fingerprint(id)
	var res []any
	_, err := retry(ctx, func() (err error) {
		res, err = s.eval(ctx, setUserScript, []string{s.recordKey(fp), s.formerKey(fp)}, user).Slice()
		return err
	})
	if err != nil {
		return s.fail("set user", err)
	}
	code, _ := res[0].(int64)
	switch {
	case code == 0:
		return store.ErrNotFound
	case code == 2:
		return store.ErrRenewed
	case len(res) != 3:
		return fmt.Errorf("redisstore: set user: unexpected script reply")
	}
	old, _ := res[1].(string)
	createdText, _ := res[2].(string)
	created, _ := parseMillis(createdText)
	if old != "" && old != user {
		s.unindex(ctx, []boundFP{{user: old, fp: fp}})
	}
	if user == "" {
		return nil
	}
	// Also when the session was bound to user already: the entry may
	// have been lost.
	return s.index(ctx, user, fp, created)
}

// index adds the session of fp to user's index, sending it again when its
// reply is lost. When every attempt fails in a way that may have left no
// entry, the entry is kept in doubt and written at the store's next call,
// and the error is returned.
func (s *redisStore) index(ctx context.Context, user, fp string, created int64) error {
	_, err := retry(ctx, func() error {
		return s.eval(ctx, indexScript, []string{s.userKey(user)}, created, fp, "").Err()
	})
	if err != nil {
		s.doubts.add(doubt{kind: indexMarker, fp: fp, user: user, created: created})
		return s.fail("index the session for its user", err)
	}
	return nil
}

// indexMove moves a renewed session's entry in its user's index from the
// old fingerprint to the new one, after the renewal's step 2 created the new
// record. A session bound to nobody has nothing to move.
func (s *redisStore) indexMove(ctx context.Context, f *moveFields, mv move) error {
	if f == nil || f.user == "" {
		return nil
	}
	_, err := retry(ctx, func() error {
		return s.eval(ctx, indexScript, []string{s.userKey(f.user)}, f.created, mv.newFP, mv.oldFP).Err()
	})
	return err
}

// unindex removes ended sessions from their users' indexes, in one
// pipelined round (one command alone when there is one). Errors are not
// returned: an entry left behind is stale, and the user's next listing
// removes it.
func (s *redisStore) unindex(ctx context.Context, ended []boundFP) {
	switch len(ended) {
	case 0:
		return
	case 1:
		_ = s.client.ZRem(ctx, s.userKey(ended[0].user), ended[0].fp).Err()
		return
	}
	pipe := s.client.Pipeline()
	for _, e := range ended {
		pipe.ZRem(ctx, s.userKey(e.user), e.fp)
	}
	_, _ = pipe.Exec(ctx)
}

// UserSessions lists the live sessions bound to user, oldest first, from
// the user's index: one round trip reads the index, one pipelined round
// reads the records it names (go-redis sends one pipeline per Cluster node,
// concurrently). Entries whose record is gone or bound to someone else are
// stale: they are not listed, and are removed, which costs two more round
// trips (see the top of this file). An entry whose session a renewal is
// moving is followed to the new record (see followMoves). A session that expired at now but is
// still there is not listed, and stays in the index for the sweep to take
// out (SetExpires may still extend it).
func (s *redisStore) UserSessions(ctx context.Context, user string, now time.Time) ([]store.Entry, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	key := s.userKey(user)
	fps, err := s.client.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, s.fail("list user sessions", err)
	}
	records, err := s.readRecords(ctx, fps)
	if err != nil {
		return nil, s.fail("list user sessions", err)
	}
	var out []store.Entry
	var stale []string
	var moving []string // the fingerprints renewals move entries' sessions to
	listed := make(map[string]bool, len(fps))
	for _, fp := range fps {
		listed[fp] = true
	}
	for i, fp := range fps {
		e, verdict := s.judge(fp, records[i], user, now)
		switch verdict {
		case entryLive:
			out = append(out, e)
		case entryStale:
			stale = append(stale, fp)
		case entryMoving:
			if to := records[i]["m"]; !listed[to] {
				listed[to] = true
				moving = append(moving, to)
			}
		}
	}
	out = append(out, s.followMoves(ctx, user, moving, now)...)
	// The index is ordered by creation already; the records decide.
	slices.SortStableFunc(out, func(a, b store.Entry) int { return a.Record.Created.Compare(b.Record.Created) })
	s.dropStale(ctx, user, stale)
	return out, nil
}

// What a listing makes of an index entry.
const (
	entryLive   = iota // listed
	entryStale         // its record is gone or bound to someone else: removed
	entryMoving        // a renewal is moving its record: followed
	entryKept          // expired or not a whole record: neither listed nor removed
)

// judge reads the record h that the index entry fp names.
func (s *redisStore) judge(fp string, h map[string]string, user string, now time.Time) (store.Entry, int) {
	switch {
	case len(fp) < maskedLen || len(h) == 0:
		return store.Entry{}, entryStale
	case h["m"] != "":
		// Its step after the create moves the entry to the new
		// fingerprint, or the move is undone and this entry is right
		// again: it stays.
		return store.Entry{}, entryMoving
	case h["u"] != user:
		return store.Entry{}, entryStale
	case h["c"] == "" || h["a"] == "":
		return store.Entry{}, entryKept
	}
	rec, _ := s.decodeReply([]any{int64(1), flatten(h)}, false)
	if rec.ExpiredAt(now) {
		// Still there for the sweep, which removes the entry; SetExpires
		// may yet extend it.
		return store.Entry{}, entryKept
	}
	return store.Entry{MaskedID: fp[:maskedLen], Record: rec}, entryLive
}

// followMoves lists the sessions that renewals are moving to the
// fingerprints to, when their new records exist already and are bound to
// user, and writes their index entries: a renewal whose process stopped
// after its step 2 would otherwise leave its session unlisted until a sweep
// finishes it. It costs one more round trip (two when it writes), only when
// the listing met a renewal under way. A renewal before its step 2 has no
// new record yet: its session is not listed.
func (s *redisStore) followMoves(ctx context.Context, user string, to []string, now time.Time) []store.Entry {
	records, err := s.readRecords(ctx, to)
	if err != nil {
		return nil
	}
	var out []store.Entry
	for i, fp := range to {
		e, verdict := s.judge(fp, records[i], user, now)
		if verdict != entryLive {
			continue
		}
		out = append(out, e)
		created, _ := parseMillis(records[i]["c"])
		_ = s.index(ctx, user, fp, created)
	}
	return out
}

// readRecords reads the records of fps in one pipelined round; a record
// that is not there reads as an empty map.
func (s *redisStore) readRecords(ctx context.Context, fps []string) ([]map[string]string, error) {
	if len(fps) == 0 {
		return nil, nil
	}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(fps))
	for i, fp := range fps {
		cmds[i] = pipe.HGetAll(ctx, s.recordKey(fp))
	}
	_, _ = pipe.Exec(ctx)
	out := make([]map[string]string, len(fps))
	for i, c := range cmds {
		m, err := c.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// flatten turns a record read as a map into the field and value list that
// decodeReply reads.
func flatten(h map[string]string) []any {
	fields := make([]any, 0, 2*len(h))
	for k, v := range h {
		fields = append(fields, k, v)
	}
	return fields
}

// dropStale removes stale entries from user's index, then reads their
// records again and adds back those bound to user by now: a rebinding or a
// released claim may have added the entry between the listing's read and
// the removal (see the top of this file). Errors are not returned: an
// entry not removed is found stale again at the next listing.
func (s *redisStore) dropStale(ctx context.Context, user string, stale []string) {
	if len(stale) == 0 {
		return
	}
	key := s.userKey(user)
	if err := s.client.ZRem(ctx, key, toAny(stale)...).Err(); err != nil {
		return
	}
	var valid []string
	for _, fp := range stale {
		if len(fp) >= maskedLen {
			valid = append(valid, fp)
		}
	}
	records, err := s.readRecords(ctx, valid)
	if err != nil {
		return
	}
	for i, fp := range valid {
		if h := records[i]; h["u"] == user {
			created, _ := parseMillis(h["c"])
			_ = s.index(ctx, user, fp, created)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// DeleteUserSession deletes the session bound to user whose masked ID is
// maskedID, through the claim that Delete uses, which here claims only a
// record bound to user: of concurrent deletes exactly one gets deleted ==
// true, and a claim whose reply is lost is sent again under its token. It
// costs three round trips: the user's index, the claim, and the removal of
// the entry (one more to forget the IDs the session was renewed from).
// A masked ID that names no session of the user, or one that a renewal
// moved or is moving away, deletes nothing.
func (s *redisStore) DeleteUserSession(ctx context.Context, user, maskedID string) (store.Record, bool, error) {
	if err := s.begin(ctx); err != nil {
		return store.Record{}, false, err
	}
	if len(maskedID) != maskedLen {
		return store.Record{}, false, nil
	}
	fps, err := s.client.ZRange(ctx, s.userKey(user), 0, -1).Result()
	if err != nil {
		return store.Record{}, false, s.fail("delete user session", err)
	}
	var stale []string
	defer func() { s.dropStale(ctx, user, stale) }()
	for _, fp := range fps {
		if !strings.HasPrefix(fp, maskedID) {
			continue
		}
		c, err := s.claimRetried(ctx, "delete user session", fp, user)
		if err != nil {
			return store.Record{}, false, err
		}
		if c.renewed {
			continue // the session lives on under its new ID
		}
		if !c.ok {
			// Gone, claimed by another caller, or bound to another user.
			stale = append(stale, fp)
			continue
		}
		s.forget(ctx, c.former)
		s.unindex(ctx, []boundFP{{user: user, fp: fp}})
		return c.rec, true, nil
	}
	return store.Record{}, false, nil
}
