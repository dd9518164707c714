package pgstore

import (
	"fmt"
	"time"

	"github.com/sessionkit/session/store"
)

// Option configures a store; pass options to [New].
type Option func(*pgStore)

// WithTable sets the name of the sessions table; the store's other tables
// and its indexes take their names from it (see the package documentation).
// It must be a lower-case SQL identifier of at most 40 characters:
// letters, digits and underscores, not starting with a digit. Stores with
// different tables share one database without seeing each other's
// sessions. The default is "sessionkit_sessions".
func WithTable(name string) Option {
	if !tableName.MatchString(name) {
		panic(fmt.Sprintf("pgstore: table name %q must match %s", name, tableName))
	}
	return func(s *pgStore) { s.t = newTables(name) }
}

// WithCreateTables sets whether New creates the tables, indexes and count
// triggers when they are missing. Teams that migrate by hand turn it off and
// run the SQL of the package documentation themselves; New then checks
// that the tables are there. The default is true.
func WithCreateTables(create bool) Option {
	return func(s *pgStore) { s.createTables = create }
}

// WithCodec sets the codec of values that have no compact form of their own.
// The default is [store.Gob]; [store.JSON] stores JSON that other programs
// can read.
func WithCodec(c store.Codec) Option {
	if c == nil {
		panic("pgstore: nil codec")
	}
	return func(s *pgStore) { s.form.Codec = c }
}

// WithMaxValueSize bounds the encoded size of one value in bytes. Set refuses
// a larger value with [ErrValueTooLarge], and a stored value that is larger
// is refused before it is decoded. The default is 64 KiB.
func WithMaxValueSize(n int) Option {
	if n < 1 {
		panic("pgstore: max value size must be positive")
	}
	return func(s *pgStore) { s.form.MaxSize = n }
}

// WithSigningKeys makes the store sign every value it writes with
// HMAC-SHA256 under the first key, and check the signature with each key in
// turn before it decodes a value, so that keys can be rotated. A value that
// somebody changed in the database, moved to another key or wrote without a
// key does not decode (Load fails with [ErrDecode]).
//
// Sign values when others can write to your database: encoding/gob trusts
// its input, and a few hostile bytes can make it allocate gigabytes
// (golang/go#79539). Each key must be at least 32 random bytes, the same on
// every instance. By default values are not signed.
func WithSigningKeys(keys ...[]byte) Option {
	if len(keys) == 0 {
		panic("pgstore: WithSigningKeys needs at least one key")
	}
	for _, k := range keys {
		if len(k) < 32 {
			panic("pgstore: a signing key must be at least 32 bytes")
		}
	}
	return func(s *pgStore) { s.form.Keys = keys }
}

// WithTouchGranularity sets how far a read must move a session's idle
// deadline before the store writes it, as the Redis store's option of the
// same name: a Load that would slide the deadline by less than d writes
// nothing, so a session read many times a second costs one write per d. A
// session then expires at most d before its last access plus its idle
// timeout, never after. 0 writes on every read. By default d is a hundredth
// of the session's idle timeout, at most 5 seconds. Whatever d is, a
// session's granularity is at most half its idle timeout.
func WithTouchGranularity(d time.Duration) Option {
	if d < 0 {
		panic("pgstore: negative touch granularity")
	}
	return func(s *pgStore) { s.granularity = d }
}

// WithRetries sets how many times a statement that PostgreSQL aborted with
// a serialization failure or a deadlock is run again before the call fails.
// The default is 3.
func WithRetries(n int) Option {
	if n < 0 {
		panic("pgstore: negative retries")
	}
	return func(s *pgStore) { s.retries = n }
}
