package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/internal/valueform"
)

var (
	// ErrDecode is wrapped by Load when a stored value does not decode: a
	// value whose type changed or is not registered with gob, a corrupt or
	// hostile row, or a value whose signature does not match.
	ErrDecode = errors.New("pgstore: stored session does not decode")

	// ErrValueTooLarge is wrapped by the error of a value whose encoded size
	// is over the limit (see [WithMaxValueSize]).
	ErrValueTooLarge = errors.New("pgstore: value too large")
)

// pgStore keeps sessions in PostgreSQL. It is safe for concurrent use, and
// any number of stores in any number of processes may share one table. It is
// unexported, as the Redis store is, so that the package's API is the
// store.Store interface and its options.
type pgStore struct {
	pool *pgxpool.Pool

	t            tables
	createTables bool
	form         valueform.Form
	granularity  time.Duration // -1: a hundredth of the idle timeout, at most maxGranularity
	retries      int

	doubts doubts // claims to take back (see doubts.go)
	closed atomic.Bool
}

var (
	_ store.Store        = (*pgStore)(nil)
	_ store.ValueChecker = (*pgStore)(nil)
)

// maxGranularity caps the default touch granularity, as in the Redis store.
const maxGranularity = 5 * time.Second

// New returns a store that keeps sessions through pool, after creating its
// tables when they are missing (see [WithCreateTables]) or checking that
// they are there. The store does not own the pool: Close leaves it open for
// the caller to close. New fails when the database cannot be reached; the
// store's later calls fail with an error wrapping [store.ErrUnavailable]
// while it cannot be, and work again once it can, without a restart. The
// store also implements [store.ValueChecker], through which the manager
// refuses a value that cannot be stored when it is set.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (store.Store, error) {
	if pool == nil {
		panic("pgstore: nil pool")
	}
	s := &pgStore{
		pool:         pool,
		t:            newTables("sessionkit_sessions"),
		createTables: true,
		form:         valueform.Form{Codec: store.Gob(), MaxSize: 64 << 10, TooLarge: ErrValueTooLarge},
		granularity:  -1,
		retries:      3,
	}
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.createTables {
		err = s.create(ctx)
	} else {
		err = s.check(ctx)
	}
	if err != nil {
		return nil, s.fail("New", err)
	}
	return s, nil
}

// CheckValue reports whether value can be stored, by encoding it. The
// manager calls it when a value is set, so that an unencodable value is
// refused at once with an error that names its key.
func (s *pgStore) CheckValue(key string, value any) error {
	if _, err := s.form.Encode(key, value); err != nil {
		return fmt.Errorf("pgstore: value of key %q (%T) cannot be stored: %w", key, value, err)
	}
	return nil
}

// encodeChanges splits changes into the keys to delete and the keys and
// stored forms to write.
func (s *pgStore) encodeChanges(changes map[string]any) (dels, keys, vals [][]byte, err error) {
	for k, v := range changes {
		if v == nil {
			dels = append(dels, []byte(k))
			continue
		}
		b, err := s.form.Encode(k, v)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pgstore: value of key %q (%T) cannot be stored: %w", k, v, err)
		}
		keys = append(keys, []byte(k))
		vals = append(vals, []byte(b))
	}
	return dels, keys, vals, nil
}

// Create implements [store.Store]: one statement inserts the session row
// and its values, or nothing when the ID is taken.
func (s *pgStore) Create(ctx context.Context, id string, rec store.Record) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	_, keys, vals, err := s.encodeChanges(rec.Values)
	if err != nil {
		return err
	}
	fp := fingerprint(id)
	sql := `WITH s AS (
	INSERT INTO ` + s.t.sessions + ` (fp, created, accessed, idle, expires, usr)
	VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fp) DO NOTHING RETURNING sid
), v AS (
	INSERT INTO ` + s.t.values + ` (sid, key, value)
	SELECT s.sid, u.k, u.v FROM s, unnest($7::bytea[], $8::bytea[]) AS u(k, v)
)
SELECT count(*) FROM s`
	var n int
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, sql, fp, millis(rec.Created), millis(rec.Accessed), rec.Idle.Milliseconds(),
			nullMillis(rec.Expires), nullBytes(rec.User), keys, vals).Scan(&n)
	})
	if err != nil {
		return s.fail("Create", err)
	}
	if n == 0 {
		return store.ErrExists
	}
	return nil
}

// Load implements [store.Store] in one statement, so one round trip: it
// reads the row and its values and, when the touch moves the access time by
// at least the granularity, slides the idle deadline in the same statement.
func (s *pgStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	if s.closed.Load() {
		return store.Record{}, false, store.ErrClosed
	}
	granularity := int64(-1)
	if s.granularity >= 0 {
		granularity = s.granularity.Milliseconds()
	}
	sql := `WITH s AS (
	SELECT sid, created, accessed, idle, expires, usr FROM ` + s.t.sessions + `
	WHERE fp = $1 AND claim IS NULL
), g AS (
	SELECT s.sid, CASE WHEN $4::bigint >= 0 THEN $4::bigint WHEN s.idle > 0 THEN LEAST($5::bigint, s.idle / 100) ELSE $5::bigint END AS g FROM s
), t AS (
	UPDATE ` + s.t.sessions + ` AS r SET accessed = $2 FROM g
	WHERE $3 AND r.sid = g.sid AND r.fp = $1 AND r.claim IS NULL AND $2 > r.accessed
		AND (r.deadline IS NULL OR r.deadline > $2)
		AND $2 - r.accessed >= CASE WHEN r.idle > 0 THEN LEAST(g.g, r.idle / 2) ELSE g.g END
	RETURNING r.accessed
)
SELECT s.created, COALESCE((SELECT accessed FROM t), s.accessed), s.idle, s.expires, s.usr, v.key, v.value
FROM s LEFT JOIN ` + s.t.values + ` AS v ON v.sid = s.sid`
	var rec store.Record
	var found bool
	err := s.retry(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, sql, fingerprint(id), now.UnixMilli(), touch, granularity, maxGranularity.Milliseconds())
		if err != nil {
			return err
		}
		rec, found, err = s.scanRecord(rows, true)
		return err
	})
	if err != nil {
		return store.Record{}, false, s.fail("Load", err)
	}
	return rec, found, nil
}

// Update implements [store.Store] in one statement: it takes a key-share
// lock on the session row, which a delete, a renewal or a sweep's claim
// waits for (or skips) but a touch does not, and writes only the keys it
// changes, so concurrent updates of different keys all survive.
func (s *pgStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	dels, keys, vals, err := s.encodeChanges(changes)
	if err != nil {
		return err
	}
	fp := fingerprint(id)
	sql := `WITH s AS (
	SELECT sid FROM ` + s.t.sessions + ` WHERE fp = $1 AND claim IS NULL FOR KEY SHARE
), d AS (
	DELETE FROM ` + s.t.values + ` AS v USING s WHERE v.sid = s.sid AND v.key = ANY($2::bytea[])
), i AS (
	INSERT INTO ` + s.t.values + ` (sid, key, value)
	SELECT s.sid, u.k, u.v FROM s, unnest($3::bytea[], $4::bytea[]) AS u(k, v)
	ON CONFLICT (sid, key) DO UPDATE SET value = EXCLUDED.value
)
SELECT count(*) FROM s`
	var n int
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, sql, fp, dels, keys, vals).Scan(&n)
	})
	if err != nil {
		return s.fail("Update", err)
	}
	if n == 0 {
		return s.missing(ctx, "Update", fp)
	}
	return nil
}

// Delete implements [store.Store] in two round trips, each idempotent
// under a token of the call's own, as the sweep's steps are (see
// [pgStore.Sweep]): claim the row and read it with its values, then delete
// it. A step whose reply is lost is sent again and answers as the first
// did, so a logout never ends a session without its caller learning so
// (and firing Destroyed). Of concurrent deletes only one claims the row.
func (s *pgStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	if s.closed.Load() {
		return store.Record{}, false, store.ErrClosed
	}
	fp := fingerprint(id)
	rec, deleted, err := s.deleteWhere(ctx, "fp = $1", fp)
	if err != nil {
		return store.Record{}, false, s.fail("Delete", err)
	}
	if !deleted {
		if err := s.missing(ctx, "Delete", fp); !errors.Is(err, store.ErrNotFound) {
			return store.Record{}, false, err
		}
	}
	return rec, deleted, nil
}

// deleteWhere deletes the one unclaimed session row that cond (over the
// arguments args, $1 to $n) selects, and returns it.
//
// The claim is one round trip, in one transaction: lock the row FOR UPDATE,
// which waits for updates of its values still in flight (they hold a
// key-share lock) and, run again, finds the row this call claimed; mark it
// with the token; then read every row marked with the token, in a
// statement whose snapshot follows the lock, so that it holds every update
// committed before. Once marked, the row is passed by as gone.
func (s *pgStore) deleteWhere(ctx context.Context, cond string, args ...any) (store.Record, bool, error) {
	token := newToken()
	tk := fmt.Sprintf("$%d", len(args)+1)
	withToken := append(append([]any{}, args...), token)
	lock := `SELECT sid FROM ` + s.t.sessions + ` WHERE (` + cond + ` AND claim IS NULL) OR claim = ` + tk + ` FOR UPDATE`
	claim := `UPDATE ` + s.t.sessions + ` SET claim = ` + tk + `, claimed = clock_timestamp() WHERE ` + cond + ` AND claim IS NULL`
	read := `SELECT r.created, r.accessed, r.idle, r.expires, r.usr, v.key, v.value
FROM ` + s.t.sessions + ` AS r LEFT JOIN ` + s.t.values + ` AS v ON v.sid = r.sid WHERE r.claim = $1`
	s.release(ctx)
	var rec store.Record
	var claimed bool
	err := s.claimThenRead(ctx, token, func(b *pgx.Batch) {
		b.Queue(lock, withToken...)
		b.Queue(claim, withToken...)
		b.Queue(read, token)
	}, func(rows pgx.Rows) (err error) {
		rec, claimed, err = s.scanRecord(rows, false)
		return err
	})
	if err != nil || !claimed {
		return store.Record{}, false, err
	}
	// The row is this call's whatever happens now: if the delete fails too
	// often, the sweep removes it once the claim is stale.
	s.deleteClaimed(ctx, token)
	return rec, true, nil
}

// claimThenRead sends, in one round trip, the statements queue queues: all
// but the last claim rows with token and return none, the last reads the
// claimed rows, which scan reads. It is run again when its reply is lost
// (see settle); when it fails for good, token is kept to be taken back (see
// doubts.go), since the claims may have landed.
func (s *pgStore) claimThenRead(ctx context.Context, token []byte, queue func(*pgx.Batch), scan func(pgx.Rows) error) error {
	err := s.settle(ctx, func(ctx context.Context) error {
		b := &pgx.Batch{}
		queue(b)
		res := s.pool.SendBatch(ctx, b)
		defer res.Close()
		for range b.Len() - 1 {
			if _, err := res.Exec(); err != nil {
				return err
			}
		}
		rows, err := res.Query()
		if err != nil {
			return err
		}
		if err := scan(rows); err != nil {
			return err
		}
		return res.Close()
	})
	if err != nil {
		s.doubts.add(token)
	}
	return err
}

// deleteClaimed deletes the rows that token claimed. A failure is left to
// the sweep, which removes rows whose claim is stale.
func (s *pgStore) deleteClaimed(ctx context.Context, token []byte) {
	_ = s.settle(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `DELETE FROM `+s.t.sessions+` WHERE claim = $1`, token)
		return err
	})
}

// newToken returns a claim token: 128 random bits.
func newToken() []byte {
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	return token
}

// missing tells why a write found no live row for fp: ErrRenewed when fp
// is a recent former ID of a live session, ErrNotFound otherwise.
func (s *pgStore) missing(ctx context.Context, op string, fp []byte) error {
	var renewed bool
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM `+s.t.former+` WHERE fp = $1)`, fp).Scan(&renewed)
	})
	switch {
	case err != nil:
		return s.fail(op, err)
	case renewed:
		return store.ErrRenewed
	default:
		return store.ErrNotFound
	}
}

// Count implements [store.Store] without reading the sessions table: the
// table's insert and delete triggers keep the count, in the same
// transaction as the change, spread over a few rows (see the package
// documentation), and Count adds those rows up.
func (s *pgStore) Count(ctx context.Context) (int, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT COALESCE(sum(n), 0) FROM `+s.t.counts).Scan(&n)
	})
	if err != nil {
		return 0, s.fail("Count", err)
	}
	return int(n), nil
}

// Close implements [store.Store]. It leaves the pool open: the caller owns it.
func (s *pgStore) Close() error {
	s.closed.Store(true)
	return nil
}

// scanRecord reads a record from rows of (created, accessed, idle, expires,
// usr, key, value), one row per value or one row with a NULL key for a
// record without values. strict fails on a value that does not decode; otherwise such a
// value is left out (a record that is being deleted is reported with what
// can be read). It closes rows.
func (s *pgStore) scanRecord(rows pgx.Rows, strict bool) (store.Record, bool, error) {
	defer rows.Close()
	var rec store.Record
	found := false
	for rows.Next() {
		var created, accessed, idle int64
		var expires *int64
		var usr []byte
		var key, value []byte
		if err := rows.Scan(&created, &accessed, &idle, &expires, &usr, &key, &value); err != nil {
			return store.Record{}, false, err
		}
		if !found {
			found = true
			rec = row{created, accessed, idle, expires, usr}.record()
		}
		if key == nil {
			continue
		}
		v, err := s.form.Decode(string(key), string(value))
		if err != nil {
			if strict {
				return store.Record{}, false, fmt.Errorf("%w: value of key %q: %w", ErrDecode, shorten(string(key)), err)
			}
			continue
		}
		if rec.Values == nil {
			rec.Values = make(map[string]any)
		}
		rec.Values[string(key)] = v
	}
	if err := rows.Err(); err != nil {
		return store.Record{}, false, err
	}
	return rec, found, nil
}

// row is a session row's columns, as scanned.
type row struct {
	created, accessed, idle int64
	expires                 *int64
	usr                     []byte
}

func (r row) record() store.Record {
	rec := store.Record{Created: fromMillis(r.created), Accessed: fromMillis(r.accessed), Idle: time.Duration(r.idle) * time.Millisecond}
	if r.expires != nil {
		rec.Expires = fromMillis(*r.expires)
	}
	rec.User = string(r.usr)
	return rec
}

// masked is the masked ID of the session whose fingerprint is fp, as
// store.MaskedID gives it for the ID.
func masked(fp []byte) string {
	return base64.RawURLEncoding.EncodeToString(fp[:maskedBytes])
}

// maskedBytes is how many bytes of the fingerprint a masked ID shows.
const maskedBytes = 9

// shorten keeps an error message short when a key is long.
func shorten(key string) string {
	if len(key) > 64 {
		return key[:64] + "..."
	}
	return key
}

// fingerprint is the row key of a session ID: its SHA-256 digest, so that a
// dump of the table holds nothing a client could present as a cookie.
func fingerprint(id string) []byte {
	fp := store.Fingerprint(id)
	return fp[:]
}

// millis returns t in Unix milliseconds; the zero time is stored as such,
// and comes back as the zero time (see fromMillis).
func millis(t time.Time) int64 { return t.UnixMilli() }

var zeroMillis = time.Time{}.UnixMilli()

func fromMillis(n int64) time.Time {
	if n == zeroMillis {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// nullMillis is millis with the zero time as NULL: no deadline.
func nullMillis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixMilli()
	return &n
}

// nullBytes is a user name as stored: bytes, since a name is any string
// (text would refuse a NUL), and NULL for none.
func nullBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}
