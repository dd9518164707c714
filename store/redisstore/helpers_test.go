package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// newID returns a well-formed session ID that no manager issued.
func newID(t testing.TB) string {
	t.Helper()
	return testkit.RandomID(t)
}

// storeOnOwnPrefix returns a store on a fresh prefix, its client and the
// prefix, for a test that inspects the keys the store writes.
func storeOnOwnPrefix(t testing.TB, opts ...redisstore.Option) (store.Store, *redis.Client, string) {
	t.Helper()
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	return redisstore.New(client, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...), client, prefix
}

// now is the tests' clock: wall time, since Redis expires keys by its own
// clock and a record must not be born already expired.
func now() time.Time { return time.Now().Truncate(time.Millisecond) }

// record returns a session accessed at t that expires after 30 idle minutes
// or 2 hours, whichever comes first.
func record(t time.Time, values map[string]any) store.Record {
	return store.Record{Values: values, Created: t, Accessed: t, Idle: 30 * time.Minute, Expires: t.Add(2 * time.Hour)}
}

// checkingStore is a store that checks values at Set time, as every Redis
// store does.
type checkingStore interface {
	store.Store
	store.ValueChecker
}

func asChecking(s store.Store) checkingStore { return s.(checkingStore) }

// redisZ is one sorted-set member with its score.
func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }

// replacePrefix puts prefix where part says PREFIX.
func replacePrefix(part, prefix string) string { return strings.ReplaceAll(part, "PREFIX", prefix) }
