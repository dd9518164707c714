package redisstore

import (
	"fmt"
	"strings"
	"time"
)

// Option configures a Store; pass options to [New].
type Option func(*Store)

// WithPrefix sets the prefix of every key the store uses. Stores with
// different prefixes share one Redis without seeing each other's sessions.
// The prefix becomes the keys' Cluster hash tag, so it must not contain
// braces. The default is "sessionkit".
func WithPrefix(prefix string) Option {
	if prefix == "" || strings.ContainsAny(prefix, "{}") {
		panic(fmt.Sprintf("redisstore: prefix %q must be non-empty and without braces", prefix))
	}
	return func(s *Store) { s.prefix = prefix }
}

// WithCodec sets the codec of values that have no compact form of their own.
// The default is [Gob].
func WithCodec(c Codec) Option {
	if c == nil {
		panic("redisstore: nil codec")
	}
	return func(s *Store) { s.codec = c }
}

// WithMaxValueSize bounds the encoded size of one value in bytes. Set refuses
// a larger value with [ErrValueTooLarge], and a stored value that is larger
// is refused before it is decoded. The default is 64 KiB.
func WithMaxValueSize(n int) Option {
	if n < 1 {
		panic("redisstore: max value size must be positive")
	}
	return func(s *Store) { s.maxValueSize = n }
}

// WithSigningKeys makes the store sign every value it writes with
// HMAC-SHA256 under the first key, and check the signature with each key in
// turn before it decodes a value, so that keys can be rotated. A value that
// somebody changed in Redis, moved to another key or wrote without a key is
// treated as a record that does not decode (see [WithResetOnDecodeError]).
//
// Sign values when others can write to your Redis: encoding/gob trusts its
// input, and a few hostile bytes can make it allocate gigabytes
// (golang/go#79539). Each key must be at least 32 random bytes, the same on
// every instance. By default values are not signed.
func WithSigningKeys(keys ...[]byte) Option {
	if len(keys) == 0 {
		panic("redisstore: WithSigningKeys needs at least one key")
	}
	for _, k := range keys {
		if len(k) < 32 {
			panic("redisstore: a signing key must be at least 32 bytes")
		}
	}
	return func(s *Store) { s.keys = keys }
}

// WithRetention keeps each record in Redis for d after its deadline. Expired
// records are never handed out either way; what retention buys is that the
// sweep finds the record's values and passes them to the Destroyed event.
// Without it, Redis usually removes an expired record before the sweep comes
// by, and the event carries the session's masked ID and no values. The
// default is 0: nothing outlives its deadline.
func WithRetention(d time.Duration) Option {
	if d < 0 {
		panic("redisstore: negative retention")
	}
	return func(s *Store) { s.retention = d }
}

// WithResetOnDecodeError makes a record whose values do not decode (a type
// that changed between releases, a corrupt or hostile record, a bad
// signature) count as no session: Load removes its data and reports it
// missing, so the user starts over, and the index keeps its entry so that the
// sweep still fires Destroyed for it at its deadline. By default Load fails
// with an error wrapping [ErrDecode] instead, which the manager answers with
// its ErrorHandler.
func WithResetOnDecodeError() Option {
	return func(s *Store) { s.resetOnDecodeError = true }
}
