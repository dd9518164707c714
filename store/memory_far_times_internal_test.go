package store

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryTimesAtTheEdgesOfUnixNanos: Created and Expires come back as
// the instants given, at and around the ends of what Unix nanoseconds hold
// and far beyond, for an ID kept decoded and one kept in the rare part
// (which shares that part with the far times), through SetExpires moving a
// session's Expires in and out of that range and SetUser replacing the
// rare part meanwhile.
func TestMemoryTimesAtTheEdgesOfUnixNanos(t *testing.T) {
	edges := []time.Time{
		time.Unix(0, math.MinInt64),
		time.Unix(0, math.MinInt64+1),
		time.Unix(0, math.MinInt64).Add(-time.Nanosecond),
		time.Unix(0, math.MinInt64).Add(time.Second),
		time.Unix(math.MinInt64/int64(time.Second), 0),
		time.Unix(math.MinInt64/int64(time.Second)+1, 0),
		time.Unix(math.MinInt64/int64(time.Second)+1, 999_999_999),
		time.Unix(0, math.MaxInt64),
		time.Unix(0, math.MaxInt64).Add(time.Nanosecond),
		time.Unix(math.MaxInt64/int64(time.Second), 0),
		time.Unix(math.MaxInt64/int64(time.Second)-1, 999_999_999),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Unix(0, 0),
		time.Unix(-1, 999_999_999),
	}
	for _, id := range []string{testID(t), "not of the manager's form"} {
		for _, at := range edges {
			ctx := t.Context()
			m := newTestMemory()
			rec := Record{Values: map[string]any{"k": "v"}, Created: at, Accessed: testBase, Idle: time.Hour, Expires: at}
			require.NoError(t, m.Create(ctx, id, rec))
			// Load with a now that does not expire it, whichever side at is.
			got, found, err := m.Load(ctx, id, time.Time{}.Add(time.Nanosecond), false)
			require.NoError(t, err)
			require.True(t, found, "%q at %v", id, at)
			assert.True(t, at.Equal(got.Created), "Created %v, want %v", got.Created, at)
			assert.True(t, at.Equal(got.Expires), "Expires %v, want %v", got.Expires, at)

			for _, next := range []time.Time{testBase.Add(time.Hour), at, time.Time{}, at} {
				require.NoError(t, m.SetExpires(ctx, id, next))
				require.NoError(t, m.SetUser(ctx, id, "alice"))
				require.NoError(t, m.SetUser(ctx, id, ""))
				got, found, err = m.Load(ctx, id, time.Time{}.Add(time.Nanosecond), false)
				require.NoError(t, err)
				require.True(t, found, "%q at %v then %v", id, at, next)
				assert.True(t, at.Equal(got.Created), "Created %v, want %v", got.Created, at)
				assert.True(t, next.Equal(got.Expires), "Expires %v, want %v", got.Expires, next)
				assert.Equal(t, next.IsZero(), got.Expires.IsZero())
			}
			rec, deleted, err := m.Delete(ctx, id)
			require.NoError(t, err)
			require.True(t, deleted, "%q at %v", id, at)
			assert.True(t, at.Equal(rec.Expires))
		}
	}
}

// TestMemoryFarAccessedKeepsItsDeadline: an Accessed outside the years
// 1678 to 2262 (a clock set wrong, a session file written under one) must
// come back as given, or at least keep its deadline on the right side of
// now: kept as Unix nanoseconds, an Accessed in 1600 with an hour of idle
// time wrapped into 2184 and the session, long expired, read as live, and
// one in 2300 read as expired.
func TestMemoryFarAccessedKeepsItsDeadline(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		ctx := t.Context()
		m := newTestMemory()
		id := testID(t)
		rec := Record{Created: testBase, Accessed: at, Idle: time.Hour}
		require.NoError(t, m.Create(ctx, id, rec))
		got, found, err := m.Load(ctx, id, testBase, false)
		require.NoError(t, err)
		require.True(t, found)
		assert.True(t, at.Equal(got.Accessed), "Accessed %v, want %v", got.Accessed.UTC(), at)
		assert.Equal(t, rec.ExpiredAt(testBase), got.ExpiredAt(testBase), "expired at %v, Accessed %v", testBase, at)
	}
}
