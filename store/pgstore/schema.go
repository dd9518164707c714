package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tableName is what WithTable accepts: a lower-case SQL identifier, short
// enough that the names derived from it (see [schema]) fit PostgreSQL's
// 63-byte limit.
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

// tables are the quoted names of the store's tables and of the objects
// derived from them.
type tables struct {
	base     string // unquoted, for derived names
	sessions string
	values   string
	former   string
	counts   string
}

func newTables(base string) tables {
	q := func(suffix string) string { return pgx.Identifier{base + suffix}.Sanitize() }
	return tables{base: base, sessions: q(""), values: q("_values"), former: q("_former"), counts: q("_count")}
}

// countSlots is how many rows the session count is spread over, so that
// concurrent creates and deletes rarely wait for one another's row lock.
const countSlots = 16

// schema returns the statements that create the store's tables, indexes
// and count triggers when they are missing. The package documentation
// shows them for the default table name.
func (t tables) schema() string {
	q := func(suffix string) string { return pgx.Identifier{t.base + suffix}.Sanitize() }
	return strings.NewReplacer(
		"{sessions}", t.sessions, "{values}", t.values, "{former}", t.former, "{counts}", t.counts,
		"{deadline_idx}", q("_deadline"), "{user_idx}", q("_user"), "{claim_idx}", q("_claim"),
		"{former_idx}", q("_former_sid"), "{count_in}", q("_count_in"), "{count_out}", q("_count_out"), "{count_reset}", q("_count_reset"),
		"{slots}", fmt.Sprint(countSlots),
	).Replace(schemaSQL)
}

// schemaSQL is the schema with placeholders for the names. Times are Unix
// milliseconds, durations milliseconds.
const schemaSQL = `
CREATE TABLE IF NOT EXISTS {sessions} (
	sid      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	fp       bytea  NOT NULL UNIQUE,
	created  bigint NOT NULL,
	accessed bigint NOT NULL,
	idle     bigint NOT NULL,
	expires  bigint,
	deadline bigint GENERATED ALWAYS AS (CASE
		WHEN idle > 0 AND expires IS NOT NULL THEN LEAST(accessed + idle, expires)
		WHEN idle > 0 THEN accessed + idle
		ELSE expires END) STORED,
	usr      bytea,
	claim    bytea,
	claimed  timestamptz
);
CREATE INDEX IF NOT EXISTS {deadline_idx} ON {sessions} (deadline) WHERE claim IS NULL;
CREATE INDEX IF NOT EXISTS {user_idx} ON {sessions} (usr, created) WHERE usr IS NOT NULL;
CREATE INDEX IF NOT EXISTS {claim_idx} ON {sessions} (claim) WHERE claim IS NOT NULL;
CREATE TABLE IF NOT EXISTS {values} (
	sid   bigint NOT NULL REFERENCES {sessions} (sid) ON DELETE CASCADE,
	key   bytea  NOT NULL,
	value bytea  NOT NULL,
	PRIMARY KEY (sid, key)
);
CREATE TABLE IF NOT EXISTS {former} (
	fp  bytea  PRIMARY KEY,
	sid bigint NOT NULL REFERENCES {sessions} (sid) ON DELETE CASCADE,
	seq bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS {former_idx} ON {former} (sid);
CREATE TABLE IF NOT EXISTS {counts} (
	slot int    PRIMARY KEY,
	n    bigint NOT NULL
);
INSERT INTO {counts} SELECT g, 0 FROM generate_series(0, {slots} - 1) g ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION {count_in}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d bigint; s int := floor(random() * {slots})::int;
BEGIN
	SELECT count(*) INTO d FROM added;
	IF d > 0 THEN
		UPDATE {counts} SET n = n + d WHERE slot = s;
	END IF;
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION {count_out}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d bigint; s int := floor(random() * {slots})::int;
BEGIN
	SELECT count(*) INTO d FROM removed;
	IF d > 0 THEN
		UPDATE {counts} SET n = n - d WHERE slot = s;
	END IF;
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION {count_reset}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE {counts} SET n = 0;
	RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER {count_in} AFTER INSERT ON {sessions}
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {count_in}();
CREATE OR REPLACE TRIGGER {count_out} AFTER DELETE ON {sessions}
	REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION {count_out}();
CREATE OR REPLACE TRIGGER {count_reset} AFTER TRUNCATE ON {sessions}
	FOR EACH STATEMENT EXECUTE FUNCTION {count_reset}();
`

// complete reports whether every table, index, function and trigger of the
// schema is there, reading only the catalogs: no lock on the tables.
func (s *pgStore) complete(ctx context.Context) (bool, error) {
	q := func(suffix string) string { return pgx.Identifier{s.t.base + suffix}.Sanitize() }
	relations := []string{s.t.sessions, s.t.values, s.t.former, s.t.counts,
		q("_deadline"), q("_user"), q("_claim"), q("_former_sid")}
	functions := []string{q("_count_in") + "()", q("_count_out") + "()", q("_count_reset") + "()"}
	triggers := []string{s.t.base + "_count_in", s.t.base + "_count_out", s.t.base + "_count_reset"}
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT
	(SELECT bool_and(to_regclass(r) IS NOT NULL) FROM unnest($1::text[]) AS r)
	AND (SELECT bool_and(to_regprocedure(f) IS NOT NULL) FROM unnest($2::text[]) AS f)
	AND (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass($3) AND tgname = ANY($4::text[])) = cardinality($4::text[])`,
		relations, functions, s.t.sessions, triggers).Scan(&ok)
	return ok, err
}

// create runs the schema in one transaction, under an advisory lock taken
// for the table name, so that instances starting together do not race on
// CREATE ... IF NOT EXISTS (which is not safe against a concurrent create).
// When the schema is complete it changes nothing: the DDL would lock the
// sessions table against writes, so an instance starting while a write is
// open would wait for it, and every later write would wait for the instance.
func (s *pgStore) create(ctx context.Context) error {
	if ok, err := s.complete(ctx); err != nil || ok {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	h := fnv.New64a()
	h.Write([]byte("sessionkit/pgstore:" + s.t.base))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, s.t.schema()); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// check confirms that the tables, and what keeps the count, exist, for a
// store that does not create them, so that a missing migration fails New
// and not the first request.
func (s *pgStore) check(ctx context.Context) error {
	for _, name := range []string{s.t.sessions, s.t.values, s.t.former, s.t.counts} {
		if _, err := s.pool.Exec(ctx, "SELECT FROM "+name+" LIMIT 0"); err != nil {
			return err
		}
	}
	// Without its triggers Count would drift from the rows unnoticed.
	ok, err := s.complete(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("the schema of %s is incomplete (an index, a count function or a trigger is missing): run the SQL of the package documentation", s.t.sessions)
	}
	return err
}
