package pgstore_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/pgstore"
)

// wiredStore returns a store on a table of its own whose single connection
// w watches, so that round trips can be counted and replies lost.
func wiredStore(t *testing.T, w *pgtest.Wire) store.Store {
	t.Helper()
	pool := w.Pool(t, pgtest.URL(t), 1)
	table := pgtest.Table()
	s, err := pgstore.New(t.Context(), pool, pgstore.WithTable(table))
	require.NoError(t, err, "New")
	t.Cleanup(func() { dropTables(t, pool, table) })
	return s
}

// nowParam is how a time travels as a statement's parameter (Unix ms, a
// binary int8), to pick with [pgtest.Wire.LoseReplyOnce] the write that runs
// a statement rather than the one that prepares it.
func nowParam(at time.Time) string {
	return string(binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli())))
}

// fpParam is how the row key of id travels as a parameter, for the same use.
func fpParam(id string) string {
	fp := store.Fingerprint(id)
	return string(fp[:])
}

// record returns a session accessed at at that expires after 30 idle
// minutes or 2 hours.
func record(at time.Time, values map[string]any) store.Record {
	return store.Record{Values: values, Created: at, Accessed: at, Idle: 30 * time.Minute, Expires: at.Add(2 * time.Hour)}
}

// TestRoundTrips pins what the package documentation promises: a Load is
// one round trip, with or without a touch that writes, and so are Update
// and Create; Delete is two (claim, then delete). The first use of each statement on a connection
// prepares it; the counts are for the statements once prepared.
func TestRoundTrips(t *testing.T) {
	w := &pgtest.Wire{}
	s := wiredStore(t, w)
	ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
	warm, id := testkit.RandomID(t), testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, warm, record(at, map[string]any{"user": "ada"})))
	_, _, _ = s.Load(ctx, warm, at.Add(time.Minute), true)
	require.NoError(t, s.Update(ctx, warm, map[string]any{"k": "v"}))
	_, _, _ = s.Delete(ctx, warm)

	tests := []struct {
		name string
		want int64
		call func() error
	}{
		{"Create", 1, func() error { return s.Create(ctx, id, record(at, map[string]any{"user": "ada"})) }},
		{"Load", 1, func() error { _, _, err := s.Load(ctx, id, at, false); return err }},
		{"Load that touches", 1, func() error { _, _, err := s.Load(ctx, id, at.Add(time.Minute), true); return err }},
		{"Update", 1, func() error { return s.Update(ctx, id, map[string]any{"k": "v", "user": nil}) }},
		{"Delete", 2, func() error { _, _, err := s.Delete(ctx, id); return err }},
	}
	for _, tc := range tests {
		var err error
		got := w.During(func() { err = tc.call() })
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, "round trips of %s", tc.name)
	}
}

// TestTouchGranularity checks that a read that would move the access time
// by less than the granularity writes nothing, and one that moves it by at
// least the granularity slides the idle deadline.
func TestTouchGranularity(t *testing.T) {
	s, _, _ := newStore(t, pgstore.WithTouchGranularity(10*time.Second))
	ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
	id := testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))

	rec, found, err := s.Load(ctx, id, at.Add(9*time.Second), true)
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, rec.Accessed.Equal(at), "a touch within the granularity wrote: accessed %v", rec.Accessed)

	_, _, err = s.Load(ctx, id, at.Add(10*time.Second), true)
	require.NoError(t, err)
	rec, _, err = s.Load(ctx, id, at, false)
	require.NoError(t, err)
	assert.True(t, rec.Accessed.Equal(at.Add(10*time.Second)), "a touch of the granularity did not write: accessed %v", rec.Accessed)
}

// TestSweepClaimReplyLost loses the reply of each sweep step in turn, after
// PostgreSQL ran it: the sweep sends the step again under its token and
// still returns every expired session exactly once, and none is left
// behind.
func TestSweepClaimReplyLost(t *testing.T) {
	for name, marker := range map[string]func(at time.Time) string{
		// The claim is picked by its parameter now: its text travels only in
		// the round trip that prepares it, which runs nothing.
		"claim":  func(at time.Time) string { return nowParam(at.Add(time.Hour)) },
		"delete": func(time.Time) string { return "WHERE claim = $1\x00" }, // the delete step's statement ends there
	} {
		t.Run(name, func(t *testing.T) {
			w := &pgtest.Wire{}
			s := wiredStore(t, w)
			ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
			want := map[string]bool{}
			for range 5 {
				id := testkit.RandomID(t)
				require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))
				want[store.MaskedID(id)] = true
			}

			w.LoseReplyOnce(marker(at))
			got, err := s.Sweep(ctx, at.Add(time.Hour), 10)
			require.NoError(t, err)
			require.Equal(t, 1, w.Lost(), "no reply was lost: the marker matched nothing")
			seen := map[string]bool{}
			for _, e := range got {
				assert.False(t, seen[e.MaskedID], "%s returned twice", e.MaskedID)
				seen[e.MaskedID] = true
				assert.Equal(t, map[string]any{"user": "ada"}, e.Record.Values)
			}
			assert.Equal(t, want, seen, "every expired session, once")

			again, err := s.Sweep(ctx, at.Add(time.Hour), 10)
			require.NoError(t, err)
			assert.Empty(t, again, "a second sweep found more")
			n, err := s.Count(ctx)
			require.NoError(t, err)
			assert.Zero(t, n, "Count after the sweep")
		})
	}
}

// TestDeleteReplyLost loses the reply of each step of a Delete in turn,
// after PostgreSQL ran it: the step is sent again under the call's token,
// and the caller still gets the record with deleted == true, once, so that
// a logout whose reply was lost still fires Destroyed.
func TestDeleteReplyLost(t *testing.T) {
	for name, marker := range map[string]func(id string) string{
		"claim":  fpParam, // as in TestSweepClaimReplyLost, by its parameters
		"delete": func(string) string { return "WHERE claim = $1\x00" },
	} {
		t.Run(name, func(t *testing.T) {
			w := &pgtest.Wire{}
			s := wiredStore(t, w)
			ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
			id := testkit.RandomID(t)
			require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))

			w.LoseReplyOnce(marker(id))
			rec, deleted, err := s.Delete(ctx, id)
			require.NoError(t, err)
			require.Equal(t, 1, w.Lost(), "no reply was lost: the marker matched nothing")
			assert.True(t, deleted, "the Delete that ran reports the session")
			assert.Equal(t, map[string]any{"user": "ada"}, rec.Values)

			_, deleted, err = s.Delete(ctx, id)
			require.NoError(t, err)
			assert.False(t, deleted, "a second Delete")
			n, err := s.Count(ctx)
			require.NoError(t, err)
			assert.Zero(t, n, "Count after the Delete")
		})
	}
}

// TestTouchGranularityWithoutIdleLimit checks the default granularity of a
// session without an idle limit: the cap, 5 seconds, as in the Redis store,
// not a write on every read.
func TestTouchGranularityWithoutIdleLimit(t *testing.T) {
	s, _, _ := newStore(t)
	ctx, at := t.Context(), time.Now().Truncate(time.Millisecond)
	id := testkit.RandomID(t)
	require.NoError(t, s.Create(ctx, id, store.Record{Created: at, Accessed: at, Expires: at.Add(time.Hour)}))

	for _, tc := range []struct {
		after, want time.Duration
	}{
		{time.Second, 0},
		{4999 * time.Millisecond, 0},
		{5 * time.Second, 5 * time.Second},
	} {
		_, _, err := s.Load(ctx, id, at.Add(tc.after), true)
		require.NoError(t, err)
		rec, _, err := s.Load(ctx, id, at, false)
		require.NoError(t, err)
		assert.True(t, rec.Accessed.Equal(at.Add(tc.want)), "after a read at +%v: accessed at +%v, want +%v", tc.after, rec.Accessed.Sub(at), tc.want)
	}
}
