package redisstore

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/internal/valueform"
)

// redisStore keeps sessions in Redis. It is safe for concurrent use, and
// any number of stores in any number of processes may share one Redis.
type redisStore struct {
	client redis.UniversalClient

	prefix             string
	form               valueform.Form // codec, value size limit and signing keys
	retention          time.Duration
	resetOnDecodeError bool
	shards             int
	granularity        time.Duration // -1: a hundredth of the idle timeout, at most maxGranularity
	replicas           int           // WAIT for this many replicas after each write; 0: none
	replicaTimeout     time.Duration

	tags       []string // the hash tag of each shard
	layout     layoutCheck
	sweepStart atomic.Uint64 // the shard the next sweep starts at, modulo shards
	closed     atomic.Bool
	doubts     doubts // calls whose every reply was lost; see settle
}

var (
	_ store.Store        = (*redisStore)(nil)
	_ store.ValueChecker = (*redisStore)(nil)
)

// New returns a store that keeps sessions through client. The store does not
// own the client: Close leaves it open for the caller to close.
//
// New does not reach Redis. The store checks, at its first call, that the
// data under its prefix was written with the same layout and number of
// shards (see [Open]); until it is, every call fails with an error wrapping
// [ErrLayout] that says what it found.
func New(client redis.UniversalClient, opts ...Option) store.Store {
	return newStore(client, opts...)
}

func newStore(client redis.UniversalClient, opts ...Option) *redisStore {
	if client == nil {
		panic("redisstore: nil client")
	}
	if readsFromReplicas(client) {
		panic("redisstore: the client sends read-only commands to replicas (ReadOnly, RouteByLatency or RouteRandomly), " +
			"where a replica that lags could answer a session that was just logged out; give the store a client without them")
	}
	s := &redisStore{
		client:      client,
		prefix:      "sessionkit",
		form:        valueform.Form{Codec: store.Gob(), MaxSize: 64 << 10, TooLarge: ErrValueTooLarge},
		shards:      defaultShards,
		granularity: -1,
	}
	for _, o := range opts {
		o(s)
	}
	s.tags = shardTags(s.prefix, s.shards)
	// Instances start their sweeps at different shards, so that together
	// they cover every shard even when each sweeps only a few per call.
	s.sweepStart.Store(rand.Uint64())
	return s
}

// readsFromReplicas reports whether client may send a read-only command,
// such as the HGETALL of Load, to a replica. A Cluster client (and the
// failover client go-redis builds as one when it routes reads) says so in
// its options. A failover client made with ReplicaOnly is a plain Client
// connected to a replica and cannot be told apart: the package doc warns.
func readsFromReplicas(client redis.UniversalClient) bool {
	if c, ok := client.(*redis.ClusterClient); ok {
		o := c.Options()
		return o.ReadOnly || o.RouteByLatency || o.RouteRandomly
	}
	return false
}

// tagKey returns the name of a key of shard i; the braces make the shard's
// tag the Cluster hash tag, so every key of one shard lives in one slot and
// a script may touch several of them. Every shard has its own index, so a
// key that belongs with something other than a session (a per-user index,
// say) can live in the shard of that thing's own fingerprint.
func (s *redisStore) tagKey(i int, name string) string { return "{" + s.tags[i] + "}:" + name }

// fingerprint returns the index member of a session ID: its SHA-256, in
// base64url. Its first 12 characters are the session's masked ID.
func fingerprint(id string) string {
	fp := store.Fingerprint(id)
	return base64.RawURLEncoding.EncodeToString(fp[:])
}

// shardOf returns the shard of a fingerprint: its first four bytes modulo
// the number of shards. A fingerprint is uniform, so the shards fill evenly.
func (s *redisStore) shardOf(fp string) int {
	var b [6]byte
	if len(fp) < 8 {
		return 0
	}
	_, _ = base64.RawURLEncoding.Decode(b[:], []byte(fp[:8]))
	return int(binary.BigEndian.Uint32(b[:4]) % uint32(s.shards))
}

func (s *redisStore) recordKey(fp string) string { return s.tagKey(s.shardOf(fp), "s:"+fp) }

// indexKey is the key of a shard's expiry index. It is named "idx", not
// "index" as the single-tag layout's was: a store whose prefix is another
// store's shard tag checks for "{<its prefix>}:index" as legacy data, and
// must not find this one.
func (s *redisStore) indexKey(shard int) string { return s.tagKey(shard, "idx") }

// formerKey is the key renewal leaves under the fingerprint a session was
// renewed from, in that fingerprint's shard: see renew.go.
func (s *redisStore) formerKey(fp string) string { return s.tagKey(s.shardOf(fp), "r:"+fp) }

// maskedLen is the length of a masked ID: the first 9 bytes of the
// fingerprint encode to exactly its first 12 base64 characters.
const maskedLen = 12

// CheckValue reports whether value can be stored, by encoding it. The
// manager calls it when a value is set, so that an unencodable value is
// refused at once with an error that names its key.
func (s *redisStore) CheckValue(key string, value any) error {
	if _, err := s.form.Encode(key, value); err != nil {
		return fmt.Errorf("redisstore: value of key %q (%T) cannot be stored: %w", key, value, err)
	}
	return nil
}

// begin starts every call: the store must be open and its layout checked,
// and the calls left in doubt are settled first.
func (s *redisStore) begin(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := s.checkLayout(ctx); err != nil {
		return err
	}
	s.settle(ctx)
	return nil
}

// Create stores rec under id, or returns store.ErrExists. A create whose
// reply is lost is sent again, and its marker tells the retry that the
// session is its own; when every reply is lost it fails, and the store takes
// the create back at its next call, so that a session nobody saw created is
// never reported destroyed.
func (s *redisStore) Create(ctx context.Context, id string, rec store.Record) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	fp := fingerprint(id)
	shard := s.shardOf(fp)
	token, err := newToken()
	if err != nil {
		return fmt.Errorf("redisstore: create: %w", err)
	}
	args := make([]any, 0, 4+2*(4+len(rec.Values)))
	args = append(args, fp, millis(rec.Deadline()), s.retention.Milliseconds(), markerTTL.Milliseconds(),
		"c", millis(rec.Created), "a", millis(rec.Accessed),
		"i", rec.Idle.Milliseconds(), "e", millis(rec.Expires))
	if rec.User != "" {
		args = append(args, "u", rec.User)
	}
	for k, v := range rec.Values {
		b, err := s.form.Encode(k, v)
		if err != nil {
			return fmt.Errorf("redisstore: create: value of key %q (%T): %w", k, v, err)
		}
		args = append(args, "v"+k, b)
	}
	keys := []string{s.recordKey(fp), s.indexKey(shard), s.markerKey(shard, createMarker, token)}
	var n int
	doubtful, err := retry(ctx, func() (err error) {
		n, err = s.eval(ctx, createScript, keys, args...).Int()
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
	if rec.User != "" {
		// The session exists and is bound: the create succeeded, whether or
		// not its index entry could be written now (see index).
		_ = s.index(ctx, rec.User, fp, millis(rec.Created))
	}
	return nil
}

// Load returns the record of id, sliding its idle deadline when touch is
// set, it has not expired and the deadline would move by at least the touch
// granularity. A read is one round trip, a plain HGETALL; one that slides
// the deadline is two, the second a script that checks again what the read
// saw (see touchScript).
func (s *redisStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	if err := s.begin(ctx); err != nil {
		return store.Record{}, false, err
	}
	key, fp := s.fingerprintKey(id)
	h, err := s.readRecord(ctx, key)
	if err != nil {
		return store.Record{}, false, s.fail("load", err)
	}
	if len(h) == 0 {
		return store.Record{}, false, nil
	}
	if _, moving := h["m"]; moving {
		return store.Record{}, false, nil // its ID died when the renewal began
	}
	rec, err := s.decodeFields(h)
	if err != nil {
		if !s.resetOnDecodeError {
			return store.Record{}, false, fmt.Errorf("%w: session %s: %w", ErrDecode, fp[:maskedLen], err)
		}
		former, err := resetScript.Run(ctx, s.client, []string{key}).Text()
		if err != nil && !errors.Is(err, redis.Nil) {
			return store.Record{}, false, s.fail("reset undecodable session", err)
		}
		s.forget(ctx, strings.Fields(former))
		return store.Record{}, false, nil
	}
	nowMillis := millis(now)
	if !touch || !s.touchDue(rec, nowMillis) {
		return rec, true, nil
	}
	touched, err := s.touch(ctx, key, fp, nowMillis)
	if err != nil {
		return store.Record{}, false, s.fail("touch", err)
	}
	if touched {
		rec.Accessed = now.Round(0) // handed back by the wall clock alone, as stored
	}
	return rec, true, nil
}

// maxGranularity caps the default touch granularity (see
// WithTouchGranularity).
const maxGranularity = 5 * time.Second

// Update applies changes to id's values in one round trip, or returns
// store.ErrNotFound when id does not exist.
func (s *redisStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	args, err := s.updateCommand(id, changes)
	if err != nil {
		return err
	}
	// An update is sent again as it is when its reply is lost: it sets the
	// same fields to the same values, so a second run changes nothing the
	// first did not. Between the runs another request may have written one
	// of those keys; the retry then overwrites it, which is what the later
	// of two concurrent writes of one key does anyway. If the session was
	// deleted in between, the retry's ErrNotFound is the truth by then.
	return s.writeRecord(ctx, "update", func() (int, error) { return s.runUpdate(ctx, args) })
}

// writeRecord sends, with send, a script that changes an existing record
// (updateScript, setExpiresScript), again as it is while its replies are
// lost, and turns the script's reply into the store's answer: 0, the record
// does not exist, is store.ErrNotFound; 2, it was renewed away or is being
// moved away, store.ErrRenewed. op names the call in errors.
func (s *redisStore) writeRecord(ctx context.Context, op string, send func() (int, error)) error {
	var n int
	_, err := retry(ctx, func() (err error) {
		n, err = send()
		return err
	})
	if err != nil {
		return s.fail(op, err)
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
func (s *redisStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	if err := s.begin(ctx); err != nil {
		return store.Record{}, false, err
	}
	fp := fingerprint(id)
	c, err := s.claimRetried(ctx, "delete", fp, "")
	if err != nil {
		return store.Record{}, false, err
	}
	if c.renewed {
		return store.Record{}, false, store.ErrRenewed
	}
	s.forget(ctx, c.former)
	if c.ok && c.rec.User != "" {
		s.unindex(ctx, []boundFP{{user: c.rec.User, fp: fp}})
	}
	return c.rec, c.ok, nil
}

// claimed is what a claim found: the record it removed, the fingerprints
// the session was renewed from, whether it claimed the session (ok), and
// whether the fingerprint was renewed away instead.
type claimed struct {
	rec     store.Record
	former  []string
	ok      bool
	renewed bool
}

// claimRetried claims fp (only a record bound to user, unless user is "")
// under a fresh token, sent again while its replies are lost. A claim whose
// every reply was lost is left in doubt, for the store's next call to take
// back. op names the call in errors.
func (s *redisStore) claimRetried(ctx context.Context, op, fp, user string) (claimed, error) {
	token, err := newToken()
	if err != nil {
		return claimed{}, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	var c claimed
	doubtful, err := retry(ctx, func() (err error) {
		c.rec, c.former, c.ok, c.renewed, err = s.claim(ctx, fp, token, user)
		return err
	})
	if err != nil {
		if doubtful {
			s.doubts.add(doubt{kind: claimMarker, token: token, fp: fp})
		}
		return claimed{}, s.fail(op, err)
	}
	return c, nil
}

// claim runs the delete script under token and decodes what it removed.
// Values that do not decode are left out: the record is gone either way,
// and its Destroyed event should still fire. former lists the fingerprints
// the session was renewed from, whose keys the caller then forgets; renewed
// reports a fingerprint that was renewed away. A user other than "" claims
// only a record bound to that user.
func (s *redisStore) claim(ctx context.Context, fp, token, user string) (rec store.Record, former []string, claimed, renewed bool, err error) {
	reply, err := s.eval(ctx, deleteScript, s.claimKeys(fp, token), fp, "", markerTTL.Milliseconds(), user).Result()
	if errors.Is(err, redis.Nil) {
		return store.Record{}, nil, false, false, nil
	}
	if err != nil {
		return store.Record{}, nil, false, false, err
	}
	res, ok := reply.([]any)
	if !ok {
		return store.Record{}, nil, false, reply == int64(2), nil
	}
	rec, _ = s.decodeReply(res, false)
	return rec, formerOf(res), true, false, nil
}

func (s *redisStore) claimKeys(fp, token string) []string {
	shard := s.shardOf(fp)
	return []string{s.recordKey(fp), s.indexKey(shard), s.markerKey(shard, claimMarker, token), s.formerKey(fp)}
}

// formerOf returns the fingerprints a claimed record was renewed from (its
// field p), from a script's {flag, fields...} reply.
func formerOf(res []any) []string {
	if len(res) != 2 {
		return nil
	}
	fields, _ := res[1].([]any)
	for i := 0; i+1 < len(fields); i += 2 {
		if name, _ := fields[i].(string); name == "p" {
			value, _ := fields[i+1].(string)
			return strings.Fields(value)
		}
	}
	return nil
}

// forget removes what renewal left under the fingerprints a session was
// renewed from, once the session ended (or they fell off its list): each
// sits in its own shard, out of reach of the script that ended the session.
// It is one pipelined round; a fingerprint whose forgetting got no answer
// stays in doubt, for the store's next call. Until then its old ID answers
// store.ErrRenewed rather than store.ErrNotFound, which fails closed.
func (s *redisStore) forget(ctx context.Context, fps []string) {
	if len(fps) == 0 {
		return
	}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.Cmd, len(fps))
	for i, fp := range fps {
		cmds[i] = forgetScript.Eval(ctx, pipe, s.forgetKeys(fp), fp)
	}
	_, _ = pipe.Exec(ctx)
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil && inDoubt(err) {
			s.doubts.add(doubt{kind: forgetMarker, fp: fps[i]})
		}
	}
}

func (s *redisStore) forgetKeys(fp string) []string {
	return []string{s.formerKey(fp), s.recordKey(fp), s.indexKey(s.shardOf(fp))}
}

// Count returns the number of sessions in the index shards, the same on
// every instance, in one pipelined round (go-redis sends one pipeline per
// Cluster node). Sessions whose deadline passed are counted until a sweep or
// a lookup claims them, and a session whose renewal is under way is
// counted twice until the renewal's third step removes the old shard's
// entry: normally one round trip, but when that step could not reach Redis,
// until a sweep finishes the move, at least 30 seconds (moveGrace) and up to
// a sweep interval later.
func (s *redisStore) Count(ctx context.Context) (int, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.IntCmd, s.shards)
	for i := range cmds {
		cmds[i] = pipe.ZCard(ctx, s.indexKey(i))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, s.fail("count", err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}

// Close makes every later call fail with store.ErrClosed. It does not close
// the client, which belongs to the caller. It is safe to call more than once.
func (s *redisStore) Close() error {
	s.closed.Store(true)
	return nil
}

// decodeReply turns a script's {flag, fields...} reply into a record. With
// strict set, any value that does not decode is an error; otherwise such
// values are left out.
func (s *redisStore) decodeReply(res []any, strict bool) (store.Record, error) {
	if len(res) != 2 {
		return store.Record{}, errBadReply
	}
	fields, ok := res[1].([]any)
	if !ok || len(fields)%2 != 0 {
		return store.Record{}, errBadReply
	}
	d := recordDecoder{s: s, strict: strict, sizeHint: len(fields) / 2}
	for i := 0; i < len(fields); i += 2 {
		name, _ := fields[i].(string)
		value, _ := fields[i+1].(string)
		if err := d.field(name, value); err != nil {
			return store.Record{}, err
		}
	}
	return d.done()
}

// recordDecoder builds a record from the fields of its hash, given one at a
// time. With strict set, any field that does not decode is an error;
// otherwise such fields are left out.
type recordDecoder struct {
	s        *redisStore
	strict   bool
	sizeHint int // how many values to make room for
	rec      store.Record
	meta     int // how many of the four times were read
}

func (d *recordDecoder) field(name, value string) error {
	if strings.HasPrefix(name, "v") {
		key := name[1:]
		v, err := d.s.form.Decode(key, value)
		if err != nil {
			if d.strict {
				return fmt.Errorf("value of key %q: %w", shorten(key), err)
			}
			return nil
		}
		if d.rec.Values == nil {
			d.rec.Values = make(map[string]any, d.sizeHint)
		}
		d.rec.Values[key] = v
		return nil
	}
	if name == "u" {
		d.rec.User = value
		return nil
	}
	if name != "c" && name != "a" && name != "i" && name != "e" {
		return nil // a field this version does not know: leave it alone
	}
	n, err := parseMillis(value)
	if err != nil {
		if d.strict {
			return fmt.Errorf("field %q: %w", name, err)
		}
		return nil
	}
	switch name {
	case "c":
		d.rec.Created = fromMillis(n)
	case "a":
		d.rec.Accessed = fromMillis(n)
	case "i":
		d.rec.Idle = time.Duration(n) * time.Millisecond
	case "e":
		d.rec.Expires = fromMillis(n)
	}
	d.meta++
	return nil
}

func (d *recordDecoder) done() (store.Record, error) {
	if d.strict && d.meta != 4 {
		return store.Record{}, errors.New("record lacks its times")
	}
	return d.rec, nil
}

// fail wraps a Redis error. Errors that mean Redis cannot be reached or
// cannot serve right now wrap store.ErrUnavailable, so the manager answers
// 503; the text of the error never holds a session ID.
func (s *redisStore) fail(op string, err error) error {
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
		// MOVED and ASK reach the store only when go-redis gave up following
		// them: a Cluster in the middle of a failover or a resharding.
		for _, busy := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "MOVED", "ASK"} {
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
