package manager

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionkit/session/store"
)

// TestHistogramBuckets: a duration lands in the first bucket whose bound it
// does not pass, the snapshot's buckets are cumulative, and one past every
// bound is counted in Count alone.
func TestHistogramBuckets(t *testing.T) {
	var h histogram
	for _, d := range []time.Duration{0, histogramBounds[0], histogramBounds[0] + 1, time.Second, histogramBounds[histogramBuckets-1] + 1} {
		h.observe(d)
	}
	got := h.snapshot()
	assert.Equal(t, uint64(5), got.Count)
	assert.Equal(t, 2*histogramBounds[0]+1+time.Second+histogramBounds[histogramBuckets-1]+1, got.Sum)
	assert.Equal(t, uint64(2), got.Buckets[0], "0 and exactly the first bound")
	assert.Equal(t, uint64(3), got.Buckets[1], "the first bound plus one")
	assert.Equal(t, uint64(3), got.Buckets[12], "below 1s")
	assert.Equal(t, uint64(4), got.Buckets[13], "1s itself")
	assert.Equal(t, uint64(4), got.Buckets[histogramBuckets-1], "all but the one past every bound")
	assert.Equal(t, histogramBounds, HistogramBounds())
	for i := 1; i < histogramBuckets; i++ {
		assert.Less(t, histogramBounds[i-1], histogramBounds[i], "bounds grow")
	}
}

// TestExpiryCause: which deadline a record had passed; when both had, the
// one that came first ended the session, and the absolute one wins a tie;
// "expired" when the store handed no record back.
func TestExpiryCause(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name string
		rec  store.Record
		want destroyCause
	}{
		{"idle deadline passed", store.Record{Accessed: now.Add(-time.Minute), Idle: time.Minute, Expires: now.Add(time.Hour)}, causeIdle},
		{"absolute deadline passed", store.Record{Accessed: now, Idle: time.Minute, Expires: now}, causeAbsolute},
		{"both passed, the idle deadline first", store.Record{Accessed: now.Add(-time.Hour), Idle: time.Minute, Expires: now.Add(-time.Second)}, causeIdle},
		{"both passed, the absolute deadline first", store.Record{Accessed: now.Add(-time.Hour), Idle: time.Minute, Expires: now.Add(-time.Hour)}, causeAbsolute},
		{"both passed at the same moment", store.Record{Accessed: now.Add(-time.Hour), Idle: time.Minute, Expires: now.Add(-time.Hour + time.Minute)}, causeAbsolute},
		{"no absolute deadline", store.Record{Accessed: now.Add(-time.Hour), Idle: time.Minute}, causeIdle},
		{"no record handed back", store.Record{}, causeExpired},
		{"neither passed (the clock stepped back since)", store.Record{Accessed: now, Idle: time.Minute, Expires: now.Add(time.Hour)}, causeExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, expiryCause(tt.rec, now))
		})
	}
}

// TestDestroyCauseNames: each cause has the name its log line and the
// Prometheus label use.
func TestDestroyCauseNames(t *testing.T) {
	want := []string{"logout", "idle", "absolute", "expired", "replaced", "user_cap"}
	for c := range destroyCauses {
		assert.Equal(t, want[c], c.String())
	}
	assert.Equal(t, "unknown", destroyCauses.String())
}
