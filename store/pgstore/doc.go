// Package pgstore keeps sessions in PostgreSQL, over pgx v5: for apps that
// already run PostgreSQL and nothing else. It keeps every guarantee of the
// Redis store and passes the same conformance suite (store/storetest),
// through [New]:
//
//	pool, err := pgxpool.New(ctx, "postgres://app@db/app")
//	...
//	st, err := pgstore.New(ctx, pool) // creates its tables when missing
//
// # Rows
//
// A session is one row of the sessions table, keyed by the SHA-256
// fingerprint of its ID, never the ID itself, so a dump of the table holds
// nothing a client could present as a cookie. Its values are rows of their
// own (one per key) in the values table, keyed by the session row's number,
// so that an update writes only the keys it changes and concurrent updates
// of different keys all survive, and a renewal, which changes the
// fingerprint in place, moves no value. Deleting a session row deletes its
// values and former IDs with it (ON DELETE CASCADE), in the same statement.
//
// PostgreSQL has no key expiry: the sweep is what removes expired rows
// (the manager runs it), and until it does, Load hands an expired row back
// untouched, as expired, for the manager to claim; it is never taken for a
// live session.
//
// # Costs
//
// Load is one statement, one round trip: it reads the row and its values
// and, when the read moves the access time by at least the touch
// granularity ([WithTouchGranularity]), slides the idle deadline in the
// same statement. Create, Update, Renew, SetUser and SetExpires are one
// statement each. Delete (a logout, or the claim of an expired session) is
// two round trips, as a sweep is: claim, then delete, so that a lost reply
// loses no Destroyed event. A write that finds no live row asks the former
// IDs in one more round trip, to tell store.ErrRenewed from
// store.ErrNotFound.
//
// Count reads no session row: statement triggers on the sessions table add
// and subtract the rows each insert and delete changes, in the same
// transaction, spread over 16 counter rows so that concurrent writers rarely
// wait for one another, and Count adds up those 16 rows. A TRUNCATE of the
// table (an operator logging everybody out) sets them to zero. Its cost does not
// grow with the number of sessions (see BENCHMARKS.md for the figure at
// 1,000,000 sessions); each create and delete pays one small counter-row
// update.
//
// # Renewal and the sweep
//
// Renew is one statement: the row's fingerprint changes where it is still
// the old one, so of concurrent renewals exactly one wins, and the old
// fingerprint joins the session's former IDs, which answer
// store.ErrRenewed: the latest eight, for as long as the session lives.
//
// Sweep claims due rows with FOR UPDATE SKIP LOCKED under a token, reads
// them, then deletes them; each step is idempotent under the token and is
// sent again when its reply is lost, so every session's Destroyed event
// fires exactly once across instances. Delete claims the same way. A claim
// whose every reply was lost fails its call, and the store's next sweep or
// delete takes it back, so the session is reported later, once. A claim
// whose instance stopped, or lost the database for five minutes, before it
// read back what it claimed is removed by a later sweep without a report,
// as the Redis store leaves such a session unreported.
//
// # Failures
//
// A lost connection, a server that is down or restarting, and a server that
// refuses connections fail the call with an error wrapping
// store.ErrUnavailable (the manager answers 503); the pool dials again on
// the next call, so the app recovers without a restart. A statement that
// PostgreSQL aborts with a serialization failure or a deadlock is run
// again, up to [WithRetries] times. The steps of Delete and Sweep are
// idempotent under a token, and are sent again when their reply is lost.
// Any other write whose reply is lost may have taken effect while the
// caller sees the error (503): a created session nobody holds a cookie
// for, which expires, or a change the user makes again.
//
// # Values
//
// Values are stored as the Redis store stores them, with the same codecs
// ([store.Gob] by default, or [store.JSON]), size limit and optional
// signatures ([WithSigningKeys]).
//
// # Schema
//
// New creates the tables, indexes and triggers when they are missing, in
// one transaction under an advisory lock; it needs PostgreSQL 14 or later.
// When all are there it only reads the catalogs, so an instance that starts
// takes no lock on a table in use.
// For teams that migrate by hand, [WithCreateTables](false) turns that off;
// this is the SQL it runs for the default table name, sessionkit_sessions
// (with [WithTable], every name below starts with the given name instead):
//
//	CREATE TABLE IF NOT EXISTS "sessionkit_sessions" (
//		sid      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
//		fp       bytea  NOT NULL UNIQUE,
//		created  bigint NOT NULL,
//		accessed bigint NOT NULL,
//		idle     bigint NOT NULL,
//		expires  bigint,
//		deadline bigint GENERATED ALWAYS AS (CASE
//			WHEN idle > 0 AND expires IS NOT NULL THEN LEAST(accessed + idle, expires)
//			WHEN idle > 0 THEN accessed + idle
//			ELSE expires END) STORED,
//		usr      bytea,
//		claim    bytea,
//		claimed  timestamptz
//	);
//	CREATE INDEX IF NOT EXISTS "sessionkit_sessions_deadline" ON "sessionkit_sessions" (deadline) WHERE claim IS NULL;
//	CREATE INDEX IF NOT EXISTS "sessionkit_sessions_user" ON "sessionkit_sessions" (usr, created) WHERE usr IS NOT NULL;
//	CREATE INDEX IF NOT EXISTS "sessionkit_sessions_claim" ON "sessionkit_sessions" (claim) WHERE claim IS NOT NULL;
//	CREATE TABLE IF NOT EXISTS "sessionkit_sessions_values" (
//		sid   bigint NOT NULL REFERENCES "sessionkit_sessions" (sid) ON DELETE CASCADE,
//		key   bytea  NOT NULL,
//		value bytea  NOT NULL,
//		PRIMARY KEY (sid, key)
//	);
//	CREATE TABLE IF NOT EXISTS "sessionkit_sessions_former" (
//		fp  bytea  PRIMARY KEY,
//		sid bigint NOT NULL REFERENCES "sessionkit_sessions" (sid) ON DELETE CASCADE,
//		seq bigint GENERATED ALWAYS AS IDENTITY
//	);
//	CREATE INDEX IF NOT EXISTS "sessionkit_sessions_former_sid" ON "sessionkit_sessions_former" (sid);
//	CREATE TABLE IF NOT EXISTS "sessionkit_sessions_count" (
//		slot int    PRIMARY KEY,
//		n    bigint NOT NULL
//	);
//	INSERT INTO "sessionkit_sessions_count" SELECT g, 0 FROM generate_series(0, 16 - 1) g ON CONFLICT DO NOTHING;
//	CREATE OR REPLACE FUNCTION "sessionkit_sessions_count_in"() RETURNS trigger LANGUAGE plpgsql AS $$
//	DECLARE d bigint; s int := floor(random() * 16)::int;
//	BEGIN
//		SELECT count(*) INTO d FROM added;
//		IF d > 0 THEN
//			UPDATE "sessionkit_sessions_count" SET n = n + d WHERE slot = s;
//		END IF;
//		RETURN NULL;
//	END $$;
//	CREATE OR REPLACE FUNCTION "sessionkit_sessions_count_out"() RETURNS trigger LANGUAGE plpgsql AS $$
//	DECLARE d bigint; s int := floor(random() * 16)::int;
//	BEGIN
//		SELECT count(*) INTO d FROM removed;
//		IF d > 0 THEN
//			UPDATE "sessionkit_sessions_count" SET n = n - d WHERE slot = s;
//		END IF;
//		RETURN NULL;
//	END $$;
//	CREATE OR REPLACE FUNCTION "sessionkit_sessions_count_reset"() RETURNS trigger LANGUAGE plpgsql AS $$
//	BEGIN
//		UPDATE "sessionkit_sessions_count" SET n = 0;
//		RETURN NULL;
//	END $$;
//	CREATE OR REPLACE TRIGGER "sessionkit_sessions_count_in" AFTER INSERT ON "sessionkit_sessions"
//		REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "sessionkit_sessions_count_in"();
//	CREATE OR REPLACE TRIGGER "sessionkit_sessions_count_out" AFTER DELETE ON "sessionkit_sessions"
//		REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION "sessionkit_sessions_count_out"();
//	CREATE OR REPLACE TRIGGER "sessionkit_sessions_count_reset" AFTER TRUNCATE ON "sessionkit_sessions"
//		FOR EACH STATEMENT EXECUTE FUNCTION "sessionkit_sessions_count_reset"();
package pgstore
