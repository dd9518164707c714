package redisstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
)

// Store keeps sessions in Redis. Create one with [New]; it is safe for
// concurrent use, and any number of Stores in any number of processes may
// share one Redis.
type Store struct {
	client redis.UniversalClient

	prefix             string
	codec              Codec
	maxValueSize       int
	keys               [][]byte
	retention          time.Duration
	resetOnDecodeError bool

	index        string // the key of the expiry index
	formerPrefix string // the keys renewal leaves under old fingerprints, less the fingerprint
	closed       atomic.Bool
	doubts       doubts // calls whose every reply was lost; see settle
}

var (
	_ store.Store        = (*Store)(nil)
	_ store.ValueChecker = (*Store)(nil)
)

// New returns a Store that keeps sessions through client. The store does not
// own the client: Close leaves it open for the caller to close.
func New(client redis.UniversalClient, opts ...Option) *Store {
	if client == nil {
		panic("redisstore: nil client")
	}
	s := &Store{
		client:       client,
		prefix:       "sessionkit",
		codec:        Gob(),
		maxValueSize: 64 << 10,
	}
	for _, o := range opts {
		o(s)
	}
	s.index = s.key("index")
	s.formerPrefix = s.key("r:")
	return s
}

// key returns the Redis key name; the braces make the prefix the Cluster
// hash tag, so every key of the store lives in one slot and the scripts may
// touch several of them.
func (s *Store) key(name string) string { return "{" + s.prefix + "}:" + name }

// fingerprint returns the index member of a session ID: its SHA-256, in
// base64url. Its first 12 characters are the session's masked ID.
func fingerprint(id string) string {
	fp := store.Fingerprint(id)
	return base64.RawURLEncoding.EncodeToString(fp[:])
}

func (s *Store) recordKey(fp string) string { return s.key("s:" + fp) }

// formerKey is the key renewal leaves under the fingerprint a session was
// renewed from: see the scripts' documentation.
func (s *Store) formerKey(fp string) string { return s.formerPrefix + fp }

// maskedLen is the length of a masked ID: the first 9 bytes of the
// fingerprint encode to exactly its first 12 base64 characters.
const maskedLen = 12

// CheckValue reports whether value can be stored, by encoding it. The
// manager calls it when a value is set, so that an unencodable value is
// refused at once with an error that names its key.
func (s *Store) CheckValue(key string, value any) error {
	if _, err := s.encodeValue(key, value); err != nil {
		return fmt.Errorf("redisstore: value of key %q (%T) cannot be stored: %w", key, value, err)
	}
	return nil
}

// Create stores rec under id, or returns store.ErrExists. A create whose
// reply is lost is sent again, and its marker tells the retry that the
// session is its own; when every reply is lost it fails, and the store takes
// the create back at its next call, so that a session nobody saw created is
// never reported destroyed.
func (s *Store) Create(ctx context.Context, id string, rec store.Record) error {
	if err := s.open(); err != nil {
		return err
	}
	s.settle(ctx)
	fp := fingerprint(id)
	token, err := newToken()
	if err != nil {
		return fmt.Errorf("redisstore: create: %w", err)
	}
	args := make([]any, 0, 4+2*(4+len(rec.Values)))
	args = append(args, fp, millis(rec.Deadline()), s.retention.Milliseconds(), markerTTL.Milliseconds(),
		"c", millis(rec.Created), "a", millis(rec.Accessed),
		"i", rec.Idle.Milliseconds(), "e", millis(rec.Expires))
	for k, v := range rec.Values {
		b, err := s.encodeValue(k, v)
		if err != nil {
			return fmt.Errorf("redisstore: create: value of key %q (%T): %w", k, v, err)
		}
		args = append(args, "v"+k, b)
	}
	keys := []string{s.recordKey(fp), s.index, s.markerKey(createMarker, token)}
	var n int
	doubtful, err := retry(ctx, func() (err error) {
		n, err = createScript.Run(ctx, s.client, keys, args...).Int()
		return err
	})
	if err != nil {
		if doubtful {
			s.doubts.add(doubt{kind: createMarker, token: token, fp: fp})
		}
		return s.fail("create", err)
	}
	if n == 0 {
		return store.ErrExists
	}
	return nil
}

// Load returns the record of id, sliding its idle deadline when touch is
// set and it has not expired. It is one round trip.
func (s *Store) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	if err := s.open(); err != nil {
		return store.Record{}, false, err
	}
	s.settle(ctx)
	fp := fingerprint(id)
	key := s.recordKey(fp)
	touchArg := "0"
	if touch {
		touchArg = "1"
	}
	res, err := loadScript.Run(ctx, s.client, []string{key, s.index}, millis(now), touchArg, fp, s.retention.Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return store.Record{}, false, nil
	}
	if err != nil {
		return store.Record{}, false, s.fail("load", err)
	}
	rec, err := s.decodeReply(res, true)
	if err != nil {
		if !s.resetOnDecodeError {
			return store.Record{}, false, fmt.Errorf("%w: session %s: %w", ErrDecode, fp[:maskedLen], err)
		}
		if err := resetScript.Run(ctx, s.client, []string{key}, s.formerPrefix).Err(); err != nil {
			return store.Record{}, false, s.fail("reset undecodable session", err)
		}
		return store.Record{}, false, nil
	}
	if res[0] == int64(1) {
		rec.Accessed = now.Round(0) // handed back by the wall clock alone, as stored
	}
	return rec, true, nil
}

// Update applies changes to id's values in one round trip, or returns
// store.ErrNotFound when id does not exist.
func (s *Store) Update(ctx context.Context, id string, changes map[string]any) error {
	if err := s.open(); err != nil {
		return err
	}
	s.settle(ctx)
	// Sorted, so that a session's fields are written in a stable order.
	keys := slices.Sorted(maps.Keys(changes))
	args := make([]any, 1, 1+2*len(keys))
	for _, k := range keys {
		if changes[k] == nil {
			args = append(args, "v"+k)
		}
	}
	args[0] = len(args) - 1
	for _, k := range keys {
		v := changes[k]
		if v == nil {
			continue
		}
		b, err := s.encodeValue(k, v)
		if err != nil {
			return fmt.Errorf("redisstore: update: value of key %q (%T): %w", k, v, err)
		}
		args = append(args, "v"+k, b)
	}
	// An update is sent again as it is when its reply is lost: it sets the
	// same fields to the same values, so a second run changes nothing the
	// first did not. Between the runs another request may have written one
	// of those keys; the retry then overwrites it, which is what the later
	// of two concurrent writes of one key does anyway. If the session was
	// deleted in between, the retry's ErrNotFound is the truth by then.
	fp := fingerprint(id)
	record := []string{s.recordKey(fp), s.formerKey(fp)}
	var n int
	_, err := retry(ctx, func() (err error) {
		n, err = updateScript.Run(ctx, s.client, record, args...).Int()
		return err
	})
	if err != nil {
		return s.fail("update", err)
	}
	switch n {
	case 0:
		return store.ErrNotFound
	case 2:
		return store.ErrRenewed
	}
	return nil
}

// Delete removes id. Of all the deletes and sweeps that race for one
// session, across every instance, exactly one gets deleted == true. A claim
// whose reply is lost is sent again with the same token, and learns from
// its marker that it claimed the session; when every reply is lost, Delete
// fails with an error wrapping store.ErrUnavailable, and the store puts the
// session back at its next call, for a later Delete or sweep to report.
func (s *Store) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	if err := s.open(); err != nil {
		return store.Record{}, false, err
	}
	s.settle(ctx)
	fp := fingerprint(id)
	token, err := newToken()
	if err != nil {
		return store.Record{}, false, fmt.Errorf("redisstore: delete: %w", err)
	}
	var rec store.Record
	var claimed, renewed bool
	doubtful, err := retry(ctx, func() (err error) {
		rec, claimed, renewed, err = s.claim(ctx, fp, token)
		return err
	})
	if renewed {
		return store.Record{}, false, store.ErrRenewed
	}
	if err != nil {
		if doubtful {
			s.doubts.add(doubt{kind: claimMarker, token: token, fp: fp})
		}
		return store.Record{}, false, s.fail("delete", err)
	}
	return rec, claimed, nil
}

// claim runs the delete script under token and decodes what it removed.
// Values that do not decode are left out: the record is gone either way,
// and its Destroyed event should still fire. renewed reports a fingerprint
// that was renewed away.
func (s *Store) claim(ctx context.Context, fp, token string) (rec store.Record, claimed, renewed bool, err error) {
	reply, err := deleteScript.Run(ctx, s.client, s.claimKeys(fp, token), fp, "", markerTTL.Milliseconds(), s.formerPrefix).Result()
	if errors.Is(err, redis.Nil) {
		return store.Record{}, false, false, nil
	}
	if err != nil {
		return store.Record{}, false, false, err
	}
	res, ok := reply.([]any)
	if !ok {
		return store.Record{}, false, reply == int64(2), nil
	}
	rec, _ = s.decodeReply(res, false)
	return rec, true, false, nil
}

func (s *Store) claimKeys(fp, token string) []string {
	return []string{s.recordKey(fp), s.index, s.markerKey(claimMarker, token), s.formerKey(fp)}
}

// Renew moves the record of oldID to newID in one round trip. A renewal whose
// reply is lost is sent again, and its marker tells the retry that it
// succeeded, where the old ID alone would say it is gone.
func (s *Store) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	if err := s.open(); err != nil {
		return err
	}
	s.settle(ctx)
	oldFP, newFP := fingerprint(oldID), fingerprint(newID)
	token, err := newToken()
	if err != nil {
		return fmt.Errorf("redisstore: renew: %w", err)
	}
	keys := []string{s.recordKey(oldFP), s.recordKey(newFP), s.index, s.markerKey(renewMarker, token), s.formerKey(oldFP)}
	var n int
	// When every reply is lost the renewal is not taken back: the session
	// then lives on under newID, which nobody knows, and the sweep reports
	// it at its deadline, once. Moving it back would bring oldID, which
	// renewal promises dead, back to life.
	_, err = retry(ctx, func() (err error) {
		n, err = renewScript.Run(ctx, s.client, keys, oldFP, newFP, millis(now),
			s.retention.Milliseconds(), markerTTL.Milliseconds(), s.formerPrefix).Int()
		return err
	})
	if err != nil {
		return s.fail("renew", err)
	}
	switch n {
	case 1:
		return nil
	case 2:
		return store.ErrExists
	case 3:
		return store.ErrRenewed
	default:
		return store.ErrNotFound
	}
}

// Count returns the number of sessions in the index, the same on every
// instance. Sessions whose deadline passed are counted until a sweep or a
// lookup claims them.
func (s *Store) Count(ctx context.Context) (int, error) {
	if err := s.open(); err != nil {
		return 0, err
	}
	s.settle(ctx)
	n, err := s.client.ZCard(ctx, s.index).Result()
	if err != nil {
		return 0, s.fail("count", err)
	}
	return int(n), nil
}

// Sweep claims up to limit sessions whose deadline is not after now: it lists
// them from the front of the index, then claims each with the delete script,
// all in one pipeline. A session another instance claimed first is skipped,
// so each is returned by exactly one Sweep or Delete; when others took some,
// it lists again, so that fewer than limit still means none were left.
// Records that Redis already expired come back with their masked ID and no
// values.
func (s *Store) Sweep(ctx context.Context, now time.Time, limit int) ([]store.Expired, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, nil
	}
	s.settle(ctx)
	due := strconv.FormatInt(now.UnixMilli(), 10)
	var out []store.Expired
	for len(out) < limit {
		want := limit - len(out)
		listed, err := s.sweepOnce(ctx, due, want, &out)
		if err != nil {
			return out, s.fail("sweep", err)
		}
		if listed < want {
			break
		}
	}
	return out, nil
}

// sweepOnce lists up to n due sessions and claims them, appending what it
// claimed to out. It returns how many it listed.
//
// The claims go in one pipeline, each under its own token. When the
// pipeline loses replies (its connection failed part way), the claims that
// got none are sent again with the same tokens, so that a claim that ran
// reports its session and one that did not runs now; those still without a
// reply after writeAttempts are left in doubt, for the store's next call to
// put back.
func (s *Store) sweepOnce(ctx context.Context, due string, n int, out *[]store.Expired) (int, error) {
	fps, err := s.client.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.index, ByScore: true, Start: "-inf", Stop: due, Count: int64(n),
	}).Result()
	if err != nil || len(fps) == 0 {
		return 0, err
	}
	// Make sure the script is loaded, so the pipeline can use EVALSHA.
	if err := deleteScript.Load(ctx, s.client).Err(); err != nil {
		return 0, err
	}
	tokens := make([]string, len(fps))
	for i := range tokens {
		if tokens[i], err = newToken(); err != nil {
			return 0, err
		}
	}
	pending := make([]int, len(fps)) // indexes into fps still without a reply
	for i := range pending {
		pending[i] = i
	}
	var failed error // the first error that is not a lost reply
	pause := retryPause
	for attempt := 1; len(pending) > 0; attempt++ {
		pipe := s.client.Pipeline()
		cmds := make([]*redis.Cmd, len(pending))
		for j, i := range pending {
			cmds[j] = deleteScript.EvalSha(ctx, pipe, s.claimKeys(fps[i], tokens[i]), fps[i], due, markerTTL.Milliseconds(), s.formerPrefix)
		}
		_, _ = pipe.Exec(ctx) // each command carries its own error
		var lost []int
		var lostErr error
		for j, i := range pending {
			res, cerr := cmds[j].Slice()
			switch {
			case cerr == nil:
				rec, _ := s.decodeReply(res, false)
				*out = append(*out, store.Expired{MaskedID: fps[i][:maskedLen], Record: rec})
			case errors.Is(cerr, redis.Nil):
				// claimed by another caller, or touched since it was listed
			case replyLost(cerr):
				lost, lostErr = append(lost, i), cerr
			default:
				// In doubt if this run may have gone through, or an
				// earlier one lost its reply (it is in pending again).
				if inDoubt(cerr) || attempt > 1 {
					s.doubts.add(doubt{kind: claimMarker, token: tokens[i], fp: fps[i]})
				}
				if failed == nil {
					failed = cerr
				}
			}
		}
		pending = lost
		if len(lost) > 0 && (attempt == writeAttempts || !wait(ctx, pause)) {
			for _, i := range lost {
				s.doubts.add(doubt{kind: claimMarker, token: tokens[i], fp: fps[i]})
			}
			if failed == nil {
				failed = lostErr
			}
			break
		}
		pause *= 2
	}
	return len(fps), failed
}

// Close makes every later call fail with store.ErrClosed. It does not close
// the client, which belongs to the caller. It is safe to call more than once.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

func (s *Store) open() error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// decodeReply turns a script's {flag, fields...} reply into a record. With
// strict set, any value that does not decode is an error; otherwise such
// values are left out.
func (s *Store) decodeReply(res []any, strict bool) (store.Record, error) {
	if len(res) != 2 {
		return store.Record{}, errors.New("unexpected script reply")
	}
	fields, ok := res[1].([]any)
	if !ok || len(fields)%2 != 0 {
		return store.Record{}, errors.New("unexpected script reply")
	}
	var rec store.Record
	var meta int
	for i := 0; i < len(fields); i += 2 {
		name, _ := fields[i].(string)
		value, _ := fields[i+1].(string)
		if strings.HasPrefix(name, "v") {
			key := name[1:]
			v, err := s.decodeValue(key, value)
			if err != nil {
				if strict {
					return store.Record{}, fmt.Errorf("value of key %q: %w", shorten(key), err)
				}
				continue
			}
			if rec.Values == nil {
				rec.Values = make(map[string]any, len(fields)/2)
			}
			rec.Values[key] = v
			continue
		}
		if name != "c" && name != "a" && name != "i" && name != "e" {
			continue // a field this version does not know: leave it alone
		}
		n, err := parseMillis(value)
		if err != nil {
			if strict {
				return store.Record{}, fmt.Errorf("field %q: %w", name, err)
			}
			continue
		}
		switch name {
		case "c":
			rec.Created = fromMillis(n)
		case "a":
			rec.Accessed = fromMillis(n)
		case "i":
			rec.Idle = time.Duration(n) * time.Millisecond
		case "e":
			rec.Expires = fromMillis(n)
		}
		meta++
	}
	if strict && meta != 4 {
		return store.Record{}, errors.New("record lacks its times")
	}
	return rec, nil
}

// fail wraps a Redis error. Errors that mean Redis cannot be reached or
// cannot serve right now wrap store.ErrUnavailable, so the manager answers
// 503; the text of the error never holds a session ID.
func (s *Store) fail(op string, err error) error {
	if isUnavailable(err) {
		return fmt.Errorf("redisstore: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

func isUnavailable(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) {
		return true
	}
	var redisErr redis.Error
	if errors.As(err, &redisErr) {
		msg := redisErr.Error()
		for _, busy := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY"} {
			if strings.HasPrefix(msg, busy) {
				return true
			}
		}
		return false
	}
	// Anything else that is not a reply from Redis (a reset connection, an
	// EOF mid-reply) means the connection failed.
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// millis returns t in Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// parseMillis parses a stored time or duration. Its error does not quote
// the value, which may be anything, of any length.
func parseMillis(value string) (int64, error) {
	if len(value) > 20 {
		return 0, errors.New("not an integer")
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return n, nil
}

// shorten cuts a key read from Redis to a length fit for an error message.
func shorten(key string) string {
	const most = 64
	if len(key) <= most {
		return key
	}
	return key[:most] + "..."
}
