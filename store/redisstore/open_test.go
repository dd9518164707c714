package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// TestOpenRefusesAnotherLayout checks the layout key: the first store on an
// empty Redis records its number of shards, and a store opened on the same
// data with another number, or on data of the single-tag layout of earlier
// releases, refuses with an error that says what it found.
func TestOpenRefusesAnotherLayout(t *testing.T) {
	client := redistest.Client(t)
	ctx := t.Context()

	t.Run("the same layout", func(t *testing.T) {
		prefix := redistest.Prefix()
		first, err := redisstore.Open(ctx, client, redisstore.WithPrefix(prefix), redisstore.WithShards(8))
		require.NoError(t, err)
		id := newID(t)
		require.NoError(t, first.Create(ctx, id, record(now(), nil)))
		second, err := redisstore.Open(ctx, client, redisstore.WithPrefix(prefix), redisstore.WithShards(8))
		require.NoError(t, err)
		_, found, err := second.Load(ctx, id, now(), false)
		require.NoError(t, err)
		assert.True(t, found)
		layout, err := client.HGetAll(ctx, "{"+prefix+"}:layout").Result()
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"version": "2", "shards": "8"}, layout)
	})

	tests := []struct {
		name  string
		setup func(t *testing.T, prefix string)
		opts  []redisstore.Option
		want  []string // parts of the error's text
	}{
		{
			name: "another number of shards",
			setup: func(t *testing.T, prefix string) {
				_, err := redisstore.Open(ctx, client, redisstore.WithPrefix(prefix), redisstore.WithShards(8))
				require.NoError(t, err)
			},
			opts: []redisstore.Option{redisstore.WithShards(16)},
			want: []string{"written with 8 shards", "configured with 16", "WithShards(8)"},
		},
		{
			name: "the default against a store of 8 shards",
			setup: func(t *testing.T, prefix string) {
				_, err := redisstore.Open(ctx, client, redisstore.WithPrefix(prefix), redisstore.WithShards(8))
				require.NoError(t, err)
			},
			want: []string{"written with 8 shards", "configured with 64"},
		},
		{
			name: "the single-tag layout",
			setup: func(t *testing.T, prefix string) {
				// What earlier releases left: one index under the prefix's tag.
				require.NoError(t, client.ZAdd(ctx, "{"+prefix+"}:index", redisZ(1e15, "fingerprint")).Err())
			},
			want: []string{"single-hash-tag layout", `"{` + "PREFIX" + `}:index" exists`, "README"},
		},
		{
			name: "a later layout version",
			setup: func(t *testing.T, prefix string) {
				require.NoError(t, client.HSet(ctx, "{"+prefix+"}:layout", "version", "3", "shards", "64").Err())
			},
			want: []string{`says version "3"`, "reads version 2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := redistest.Prefix()
			tc.setup(t, prefix)
			opts := append([]redisstore.Option{redisstore.WithPrefix(prefix)}, tc.opts...)
			st, err := redisstore.Open(ctx, client, opts...)
			require.ErrorIs(t, err, redisstore.ErrLayout)
			assert.Nil(t, st)
			assert.NotErrorIs(t, err, store.ErrUnavailable, "a configuration mistake, not an outage")
			for _, part := range tc.want {
				assert.Contains(t, err.Error(), replacePrefix(part, prefix))
			}
		})
	}
}

// TestNewFailsEveryCallUntilTheLayoutIsFixed checks New on data of another
// layout: it cannot return the error, so every call fails with it, and the
// store works as soon as the data is fixed (here, the old data removed),
// without being made again.
func TestNewFailsEveryCallUntilTheLayoutIsFixed(t *testing.T) {
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	ctx, at := t.Context(), now()
	legacy := "{" + prefix + "}:index"
	require.NoError(t, client.ZAdd(ctx, legacy, redisZ(float64(at.Add(time.Hour).UnixMilli()), "fingerprint")).Err())

	s := redisstore.New(client, redisstore.WithPrefix(prefix))
	id := newID(t)
	calls := []struct {
		name string
		call func() error
	}{
		{"Create", func() error { return s.Create(ctx, id, record(at, nil)) }},
		{"Load", func() error { _, _, err := s.Load(ctx, id, at, true); return err }},
		{"Update", func() error { return s.Update(ctx, id, map[string]any{"k": "v"}) }},
		{"Delete", func() error { _, _, err := s.Delete(ctx, id); return err }},
		{"Renew", func() error { return s.Renew(ctx, id, newID(t), at) }},
		{"Count", func() error { _, err := s.Count(ctx); return err }},
		{"Sweep", func() error { _, err := s.Sweep(ctx, at, 10); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			require.ErrorIs(t, err, redisstore.ErrLayout)
			assert.Contains(t, err.Error(), "single-hash-tag layout")
		})
	}
	n, err := client.Exists(ctx, "{"+prefix+"}:layout").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "a refused store records no layout")

	require.NoError(t, client.Del(ctx, legacy).Err()) // the operator clears the old sessions
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})), "the same store works now")
	rec, found, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "ada", rec.Values["user"])

	// The good answer is kept: the store does not ask again.
	trips := &redistest.RoundTrips{}
	client.AddHook(trips)
	assert.Equal(t, int64(1), trips.During(func() {
		_, _, err := s.Load(ctx, id, at, false)
		require.NoError(t, err)
	}), "one round trip: no layout check")
}

// TestNewChecksLayoutWithoutScans pins how the old layout is found: by the
// existence of its index key, never by KEYS or SCAN.
func TestNewChecksLayoutWithoutScans(t *testing.T) {
	server := redistest.Start(t)
	client := server.NewClient(t)
	_, err := redisstore.Open(t.Context(), client)
	require.NoError(t, err)
	stats, err := client.Info(t.Context(), "commandstats").Result()
	require.NoError(t, err)
	for _, scan := range []string{"cmdstat_keys:", "cmdstat_scan:"} {
		assert.NotContains(t, stats, scan)
	}
}
