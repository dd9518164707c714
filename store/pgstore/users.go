package pgstore

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionkit/session/store"
)

// The per-user index is the partial index on (usr, created) of the sessions
// table: a session's binding is a column of its own row, so every change
// that ends or moves a session (delete, sweep, renewal, SetUser) changes
// the index in the same statement, and it never holds a stale entry. User
// names are a column's value, not part of a key name, so they are kept as
// they are (as bytes: a name may hold any byte, which text would refuse),
// and Record.User comes back from them.

// SetUser implements [store.Store] in one statement.
func (s *pgStore) SetUser(ctx context.Context, id, user string) error {
	return s.setColumn(ctx, "SetUser", id, "usr = $2", nullBytes(user))
}

// SetExpires implements [store.Store] in one statement; the deadline column
// follows, since PostgreSQL computes it from the access time, the idle
// timeout and this one.
func (s *pgStore) SetExpires(ctx context.Context, id string, expires time.Time) error {
	return s.setColumn(ctx, "SetExpires", id, "expires = $2", nullMillis(expires))
}

// setColumn sets one column of id's unclaimed row. The row lock it takes
// (no key update) does not wait for updates of values or touches.
func (s *pgStore) setColumn(ctx context.Context, op, id, set string, arg any) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	fp := fingerprint(id)
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `UPDATE `+s.t.sessions+` SET `+set+` WHERE fp = $1 AND claim IS NULL`, fp, arg)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return s.missing(ctx, op, fp)
	}
	return nil
}

// UserSessions implements [store.Store] in one statement that reads the
// user's index, not the table.
func (s *pgStore) UserSessions(ctx context.Context, user string, now time.Time) ([]store.Entry, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if user == "" {
		return nil, nil
	}
	sql := s.userSessionsSQL()
	var out []store.Entry
	err := s.retry(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, sql, []byte(user), now.UnixMilli())
		if err != nil {
			return err
		}
		out, err = s.scanEntries(rows)
		return err
	})
	if err != nil {
		return nil, s.fail("UserSessions", err)
	}
	return out, nil
}

// userSessionsSQL lists a user's live sessions ($1: the user, $2: now in
// Unix ms) with their values, oldest first.
func (s *pgStore) userSessionsSQL() string {
	return `WITH u AS (
	SELECT sid, fp, created, accessed, idle, expires, usr FROM ` + s.t.sessions + `
	WHERE usr = $1 AND claim IS NULL AND (deadline IS NULL OR deadline > $2)
)
SELECT u.sid, u.fp, u.created, u.accessed, u.idle, u.expires, u.usr, v.key, v.value
FROM u LEFT JOIN ` + s.t.values + ` AS v ON v.sid = u.sid ORDER BY u.created, u.sid`
}

// DeleteUserSession implements [store.Store] as Delete does, selecting the
// row by user and masked ID through the user's index. Like Delete, it
// deletes a session whose deadline passed but that no sweep has claimed.
func (s *pgStore) DeleteUserSession(ctx context.Context, user, maskedID string) (store.Record, bool, error) {
	if s.closed.Load() {
		return store.Record{}, false, store.ErrClosed
	}
	prefix, err := base64.RawURLEncoding.DecodeString(maskedID)
	if user == "" || err != nil || len(prefix) != maskedBytes {
		return store.Record{}, false, nil
	}
	rec, deleted, err := s.deleteWhere(ctx, "usr = $1 AND substr(fp, 1, $2) = $3", []byte(user), maskedBytes, prefix)
	if err != nil {
		return store.Record{}, false, s.fail("DeleteUserSession", err)
	}
	return rec, deleted, nil
}

// scanEntries reads rows of (sid, fp, created, accessed, idle, expires,
// usr, key, value), grouped by sid, into entries. A value that does not
// decode is left out: the session is reported with what can be read.
func (s *pgStore) scanEntries(rows pgx.Rows) ([]store.Entry, error) {
	defer rows.Close()
	var out []store.Entry
	last := int64(-1)
	for rows.Next() {
		var sid, created, accessed, idle int64
		var fp, key, value []byte
		var expires *int64
		var usr []byte
		if err := rows.Scan(&sid, &fp, &created, &accessed, &idle, &expires, &usr, &key, &value); err != nil {
			return nil, err
		}
		if sid != last {
			last = sid
			out = append(out, store.Entry{MaskedID: masked(fp), Record: row{created, accessed, idle, expires, usr}.record()})
		}
		if key == nil {
			continue
		}
		v, err := s.form.Decode(string(key), string(value))
		if err != nil {
			continue
		}
		rec := &out[len(out)-1].Record
		if rec.Values == nil {
			rec.Values = make(map[string]any)
		}
		rec.Values[string(key)] = v
	}
	return out, rows.Err()
}
