package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryFileRoundTripOfEveryValueLayout saves and reloads sessions
// whose values are kept each way the new layout can keep them: no values,
// one (the inline pair), eight pairs, nine (a map from the start), values
// read (map built) then updated in place, and a session grown past eight
// and shrunk back. A user restarting the server expects every session back
// with exactly its values, user and times, and the cap still counted.
func TestMemoryFileRoundTripOfEveryValueLayout(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sessions")
	s, err := OpenMemory(path, WithMaxSessions(6))
	require.NoError(t, err)
	valuesOf := func(n int) map[string]any {
		v := make(map[string]any, n)
		for i := range n {
			v[fmt.Sprintf("k%d", i)] = i
		}
		return v
	}
	want := make(map[string]Record)
	created := time.Date(1960, 3, 4, 5, 6, 7, 8, time.UTC)
	for i, n := range []int{0, 1, 8, 9} {
		id := testID(t)
		rec := Record{Values: valuesOf(n), Created: created, Accessed: testBase, Idle: time.Hour, Expires: testBase.Add(time.Duration(i+1) * time.Hour)}
		if i%2 == 1 {
			rec.User = "u"
		}
		require.NoError(t, s.Create(ctx, id, rec))
		want[id] = rec
	}
	// Read, then updated in place; and grown past 8 then shrunk back.
	read, grown := testID(t), testID(t)
	for _, id := range []string{read, grown} {
		rec := Record{Values: valuesOf(7), Created: created, Accessed: testBase, Idle: time.Hour}
		require.NoError(t, s.Create(ctx, id, rec))
		want[id] = rec
	}
	_, _, err = s.Load(ctx, read, testBase, false)
	require.NoError(t, err)
	require.NoError(t, s.Update(ctx, read, map[string]any{"k0": nil, "new": "v"}))
	want[read].Values["new"] = "v"
	delete(want[read].Values, "k0")
	require.NoError(t, s.Update(ctx, grown, map[string]any{"a": 1, "b": 2, "c": 3}))
	require.NoError(t, s.Update(ctx, grown, map[string]any{"a": nil, "b": nil, "c": nil, "k6": nil}))
	delete(want[grown].Values, "k6")
	require.ErrorIs(t, s.Create(ctx, testID(t), testRecord(nil)), ErrTooManySessions)
	require.NoError(t, s.Close())

	s2, err := OpenMemory(path, WithMaxSessions(6))
	require.NoError(t, err)
	defer s2.Close()
	n, err := s2.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(want), n)
	for id, w := range want {
		got, found, err := s2.Load(ctx, id, testBase, false)
		require.NoError(t, err)
		require.True(t, found, "session lost in the file")
		assert.Equal(t, w.Values, got.Values)
		assert.Equal(t, w.User, got.User)
		assert.True(t, got.Created.Equal(w.Created), "Created %v, want %v", got.Created, w.Created)
		assert.True(t, got.Expires.Equal(w.Expires), "Expires %v, want %v", got.Expires, w.Expires)
		assert.Equal(t, w.Idle, got.Idle)
	}
	users, err := s2.UserSessions(ctx, "u", testBase)
	require.NoError(t, err)
	assert.Len(t, users, 2, "the per-user index after a restart")
	require.ErrorIs(t, s2.Create(ctx, testID(t), testRecord(nil)), ErrTooManySessions, "the cap after a restart")
}
