package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryTimesRoundTrip checks that Created and Expires come back from
// the entry's seconds-and-nanoseconds form as the same instants, to the
// nanosecond, for the zero time, times before 1970, times past 2262 (where
// Unix nanoseconds overflow), other zones and readings with a monotonic
// clock; and that Sweep agrees with ExpiredAt about them. A user sees a
// wrong "signed in at" or a session ending at the wrong moment otherwise.
func TestMemoryTimesRoundTrip(t *testing.T) {
	ctx := t.Context()
	zone := time.FixedZone("UTC-3:30", -(3*3600 + 1800))
	times := []time.Time{
		{},
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 1, zone),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), // one nanosecond after the zero time
		time.Date(2262, 4, 11, 23, 47, 16, 854_775_808, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, zone),
		time.Now(), // with a monotonic reading
		testBase.Add(time.Nanosecond),
	}
	for _, created := range times {
		for _, expires := range times {
			m := newTestMemory()
			id := testID(t)
			rec := Record{Values: map[string]any{"k": 1}, Created: created, Accessed: testBase, Expires: expires}
			require.NoError(t, m.Create(ctx, id, rec))
			got, found, err := m.Load(ctx, id, testBase, false)
			require.NoError(t, err)
			require.True(t, found)
			assert.True(t, got.Created.Equal(created), "Created %v came back as %v", created, got.Created)
			assert.Equal(t, created.IsZero(), got.Created.IsZero(), "Created %v: IsZero", created)
			assert.True(t, got.Expires.Equal(expires), "Expires %v came back as %v", expires, got.Expires)
			assert.Equal(t, expires.IsZero(), got.Expires.IsZero(), "Expires %v: IsZero", expires)
			assert.Equal(t, got.Created, got.Created.Round(0), "a monotonic reading kept")

			swept, err := m.Sweep(ctx, testBase, 10)
			require.NoError(t, err)
			if rec.ExpiredAt(testBase) {
				require.Len(t, swept, 1, "expires %v: an expired session not swept", expires)
				assert.True(t, swept[0].Record.Expires.Equal(expires))
			} else {
				assert.Empty(t, swept, "expires %v: a live session swept", expires)
			}
		}
	}
}

// TestMemoryIdleZeroNeverExpiresUnlessExpires pins Idle 0: only Expires
// ends the session; with neither, Sweep never reports it.
func TestMemoryIdleZeroNeverExpiresUnlessExpires(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	forever, ends := testID(t), testID(t)
	require.NoError(t, m.Create(ctx, forever, Record{Created: testBase, Accessed: testBase}))
	require.NoError(t, m.Create(ctx, ends, Record{Created: testBase, Accessed: testBase, Expires: testBase.Add(time.Second)}))
	swept, err := m.Sweep(ctx, testBase.Add(100*365*24*time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, swept, 1)
	assert.Equal(t, ends, swept[0].ID)
	_, found, err := m.Load(ctx, forever, testBase.Add(200*365*24*time.Hour), true)
	require.NoError(t, err)
	assert.True(t, found)
}
