package redisstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// assertSpreadOverMasters counts, on each master of cluster, the keys of
// kind that match pattern (a test may scan; the store never does), and
// checks that all want of them are there and that each of the 3 masters
// holds at least a fifth (an even split is a third).
func assertSpreadOverMasters(t *testing.T, cluster *redis.ClusterClient, pattern, kind string, want int) {
	t.Helper()
	var mu sync.Mutex
	perMaster := map[string]int{}
	require.NoError(t, cluster.ForEachMaster(t.Context(), func(ctx context.Context, c *redis.Client) error {
		n := 0
		iter := c.ScanType(ctx, 0, pattern, 1000, kind).Iterator()
		for iter.Next(ctx) {
			n++
		}
		mu.Lock()
		perMaster[c.Options().Addr] = n
		mu.Unlock()
		return iter.Err()
	}))
	t.Logf("%s keys per master: %v", kind, perMaster)
	require.Len(t, perMaster, 3, "masters")
	total := 0
	for addr, n := range perMaster {
		total += n
		assert.GreaterOrEqual(t, n, want/5, "master %s holds %d of %d", addr, n, want)
	}
	assert.Equal(t, want, total, "keys on all masters")
}
