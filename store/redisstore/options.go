package redisstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/sessionkit/session/store"
)

// Option configures a store; pass options to [New] or [Open].
type Option func(*redisStore)

// WithPrefix sets the prefix of every key the store uses. Stores with
// different prefixes share one Redis without seeing each other's sessions.
// The prefix begins every shard's Cluster hash tag, so it must not contain
// braces. The default is "sessionkit".
func WithPrefix(prefix string) Option {
	if prefix == "" || strings.ContainsAny(prefix, "{}") {
		panic(fmt.Sprintf("redisstore: prefix %q must be non-empty and without braces", prefix))
	}
	return func(s *redisStore) { s.prefix = prefix }
}

// WithCodec sets the codec of values that have no compact form of their own.
// The default is [store.Gob]; [store.JSON] stores JSON that other programs
// can read.
func WithCodec(c store.Codec) Option {
	if c == nil {
		panic("redisstore: nil codec")
	}
	return func(s *redisStore) { s.form.Codec = c }
}

// WithMaxValueSize bounds the encoded size of one value in bytes. Set refuses
// a larger value with [ErrValueTooLarge], and a stored value that is larger
// is refused before it is decoded. The default is 64 KiB.
func WithMaxValueSize(n int) Option {
	if n < 1 {
		panic("redisstore: max value size must be positive")
	}
	return func(s *redisStore) { s.form.MaxSize = n }
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
	return func(s *redisStore) { s.form.Keys = keys }
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
	return func(s *redisStore) { s.retention = d }
}

// WithResetOnDecodeError makes a record whose values do not decode (a type
// that changed between releases, a corrupt or hostile record, a bad
// signature) count as no session: Load removes its data and reports it
// missing, so the user starts over, and the index keeps its entry so that the
// sweep still fires Destroyed for it at its deadline. By default Load fails
// with an error wrapping [ErrDecode] instead, which the manager answers with
// its ErrorHandler.
func WithResetOnDecodeError() Option {
	return func(s *redisStore) { s.resetOnDecodeError = true }
}

// WithShards sets how many shards the store spreads sessions over: each
// shard is a hash tag of its own, with its own records and expiry index, and
// a session lives in the shard its fingerprint picks. On Redis Cluster the
// shards sit on evenly spaced slots, so they spread over every master. The
// default, 64, gives every master of a Cluster of up to 16 masters between
// 0.8 and 1.2 times its fair share of sessions (exactly its share for 1, 2,
// 4, 8 and 16 masters); more shards spread larger Clusters evenly, at the
// cost of one more small command per shard in Count and in every sweep
// round. n must be between 1 and 1024.
//
// Every instance sharing a prefix must use the same n: the layout key in
// Redis records it, and a store opened with another n refuses to work (see
// [Open] and [ErrLayout]).
func WithShards(n int) Option {
	if n < 1 || n > maxShards {
		panic(fmt.Sprintf("redisstore: %d shards, want 1 to %d", n, maxShards))
	}
	return func(s *redisStore) { s.shards = n }
}

// WithTouchGranularity sets how far a read must move a session's idle
// deadline before the store writes it: a Load that would slide the deadline
// by less than d changes nothing, so that a session read many times a second
// costs one write per d, not one per read. The idle timeout then stays exact
// to within d: a session expires at most d before its last access plus its
// idle timeout, never after, and the access time Load hands back may lag
// the last read by up to d. 0 writes on every read. By default d is a
// hundredth of the session's idle timeout, at most 5 seconds (30 minutes
// idle: 5 s; 1 minute idle: 0.6 s). Whatever d is, a session's granularity
// is at most half its idle timeout, so that a session in steady use never
// expires (a d at or above the idle timeout would make it an absolute one).
func WithTouchGranularity(d time.Duration) Option {
	if d < 0 {
		panic("redisstore: negative touch granularity")
	}
	return func(s *redisStore) { s.granularity = d }
}

// WithReplicaAcks makes every write that creates, changes, renews or ends a
// session wait until n replicas have acknowledged it, with Redis's WAIT, for
// at most timeout. A write that fewer replicas acknowledged in time fails
// with an error wrapping store.ErrUnavailable (fail closed): the write took
// effect on the master, but a failover now could lose it, so it is not
// reported as done.
//
// Without it, Redis replicates asynchronously: a master that fails over
// right after a write loses that write when the replica it had not reached
// is promoted (a login forgotten, a logout undone, a Destroyed event fired
// again for a session that comes back). WAIT makes the loss window a
// failure the caller sees instead. Its cost: each such write waits for the
// replication round trip (on a local network about one more round trip,
// and up to timeout when a replica is slow or down), and on a Cluster each
// sweep sends its claims shard by shard. Reads (Load, also when it slides
// the idle deadline) never wait: a touch that a failover loses leaves the
// session to expire earlier than its last read allows, never later. WAIT narrows the loss window; it does not
// make Redis strongly consistent (see the Redis documentation of WAIT).
// With n replicas per master and n acknowledgements asked, a failover
// leaves the promoted master short of replicas, so every session write fails
// closed (503) until a replica has rejoined: ask for fewer acknowledgements
// than replicas if writes must go on through that.
// n must be positive and timeout at least a millisecond, and below the
// client's read timeout, or the client gives up on a WAIT that was about to
// answer.
func WithReplicaAcks(n int, timeout time.Duration) Option {
	if n < 1 || timeout < time.Millisecond {
		panic("redisstore: WithReplicaAcks needs at least one replica and a timeout of at least 1ms")
	}
	return func(s *redisStore) { s.replicas, s.replicaTimeout = n, timeout }
}
