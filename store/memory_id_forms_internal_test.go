package store

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// aliasIDs returns an ID of the manager's form and IDs that decode to the
// same 32 bytes under a lenient decoder (trailing bits set, padding, the
// standard alphabet) or differ from it in case only: each is another
// session for the Store interface, which compares IDs as strings.
func aliasIDs(t *testing.T) (canonical string, aliases []string) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i*37 + 250) // includes bytes whose encoding has '-' and '_'
	}
	raw[31] &^= 0x0F // the last character then encodes 0 in its high bits: "A"..."D" alias it
	canonical = base64.RawURLEncoding.EncodeToString(raw)
	require.True(t, strings.HasSuffix(canonical, "A") || strings.HasSuffix(canonical, "Q") ||
		strings.HasSuffix(canonical, "g") || strings.HasSuffix(canonical, "w"), canonical)
	last := canonical[42]
	aliases = []string{
		canonical[:42] + string(last+1), // trailing bits set
		canonical[:42] + string(last+2),
		canonical[:42] + string(last+3),
		canonical + "=", // padded
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		strings.ToUpper(canonical),
		strings.ToLower(canonical),
		canonical[:42], // one short
		canonical + "A",
	}
	return canonical, aliases
}

// TestMemoryIDsThatDecodeAlikeAreDistinctSessions: IDs that a lenient
// base64 decoder takes to the same bytes as an ID of the manager's form are
// sessions of their own; none reads, writes or ends another.
func TestMemoryIDsThatDecodeAlikeAreDistinctSessions(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	canonical, aliases := aliasIDs(t)
	all := append([]string{canonical}, aliases...)
	for _, id := range all {
		require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"id": id})), "Create %q", id)
	}
	check := func(ids []string, msg string) {
		t.Helper()
		for _, id := range ids {
			rec, found, err := m.Load(ctx, id, testBase, false)
			require.NoError(t, err)
			require.True(t, found, "%s: %q", msg, id)
			assert.Equal(t, id, rec.Values["id"], "%s: the record of %q", msg, id)
		}
	}
	check(all, "created")
	for _, id := range all {
		require.NoError(t, m.Update(ctx, id, map[string]any{"id": id, "n": 1}))
	}
	check(all, "updated")
	rec, deleted, err := m.Delete(ctx, canonical)
	require.NoError(t, err)
	require.True(t, deleted)
	assert.Equal(t, canonical, rec.Values["id"])
	check(aliases, "after the canonical one was deleted")
	require.NoError(t, m.Create(ctx, canonical, testRecord(map[string]any{"id": canonical})))
	renewed := aliases[0] + "-renewed"
	require.NoError(t, m.Renew(ctx, aliases[0], renewed, testBase))
	assert.ErrorIs(t, m.Update(ctx, aliases[0], map[string]any{"x": 1}), ErrRenewed)
	require.NoError(t, m.Update(ctx, canonical, map[string]any{"x": 1}), "the canonical ID is not the renewed one")
	check(append([]string{canonical}, aliases[1:]...), "after an alias was renewed")
	n, err := m.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(all), n)
	swept, err := m.Sweep(ctx, testBase.Add(time.Hour), 100)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range swept {
		want := e.ID
		if e.ID == renewed {
			want = aliases[0]
		}
		assert.Equal(t, want, e.Record.Values["id"], "swept %q", e.ID)
		assert.Equal(t, MaskedID(e.ID), e.MaskedID)
		seen[e.ID] = true
	}
	assert.Len(t, seen, len(all))
	n, err = m.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestMemoryFileKeepsIDsThatDecodeAlikeApart: an ID of the manager's form
// and its aliases, saved together by Close, come back each as its own
// session: the file must not take two of them for one ("appears twice")
// nor hand one's record to another.
func TestMemoryFileKeepsIDsThatDecodeAlikeApart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sessions")
	st, err := OpenMemory(path)
	require.NoError(t, err)
	canonical, aliases := aliasIDs(t)
	all := append([]string{canonical}, aliases...)
	for _, id := range all {
		require.NoError(t, st.Create(ctx, id, testRecord(map[string]any{"id": id})))
	}
	require.NoError(t, st.Close())
	st, err = OpenMemory(path)
	require.NoError(t, err)
	defer st.Close()
	for _, id := range all {
		rec, found, err := st.Load(ctx, id, testBase, false)
		require.NoError(t, err)
		require.True(t, found, "%q after the restart", id)
		assert.Equal(t, id, rec.Values["id"])
	}
	n, err := st.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(all), n)
}
