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

// TestDecodeIDAgreesWithBase64 checks the shard's decoder against the
// standard library's strict one: it must take exactly the IDs that decode
// canonically to 32 bytes, to the same bytes, or two IDs would share an
// entry (one user's session served to another) or one would lose its own.
func TestDecodeIDAgreesWithBase64(t *testing.T) {
	strict := base64.RawURLEncoding.Strict()
	canonical := testID(t)
	ids := []string{
		canonical,
		canonical[:42] + "B", // the last character's low bits set
		canonical[:42] + "=",
		canonical[:10] + "+" + canonical[11:], // std base64, not url
		canonical[:42],
		canonical + "A",
		"",
		"short",
		strings.Repeat("A", 43),
		strings.Repeat("_", 42) + "w",
		strings.Repeat("_", 42) + "x",
		"\xff" + canonical[1:],
	}
	for i := range 64 {
		ids = append(ids, canonical[:42]+string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i]))
	}
	for _, id := range ids {
		raw, ok := decodeID(id)
		want, err := strict.DecodeString(id)
		wantOK := err == nil && len(want) == rawIDBytes && len(id) == 43
		require.Equal(t, wantOK, ok, "ID %q", id)
		if ok {
			assert.Equal(t, want, raw[:], "ID %q", id)
			assert.Equal(t, id, base64.RawURLEncoding.EncodeToString(raw[:]), "ID %q", id)
		}
	}
}

// TestMemoryShardHashCollisions files three IDs under one hash, as two IDs
// whose hashes agree would be: each is found as itself, and taking one out
// leaves the others found.
func TestMemoryShardHashCollisions(t *testing.T) {
	m := newTestMemory()
	s := &m.shards[0]
	ids := []string{testID(t), "not of the manager's form", testID(t)}
	entries := make([]*memoryEntry, len(ids))
	parsed := make([]parsedID, len(ids))
	for i, id := range ids {
		parsed[i] = m.parse(id)
		parsed[i].hash = 42
		entries[i] = &memoryEntry{}
		entries[i].setID(parsed[i])
		require.Nil(t, s.lookup(parsed[i]), "%q before it was filed", id)
		s.insert(parsed[i], entries[i])
	}
	assert.Equal(t, len(ids), s.len())
	for i := range ids {
		assert.Same(t, entries[i], s.lookup(parsed[i]), "%q", ids[i])
	}
	s.delete(entries[0], 42)
	assert.True(t, entries[0].gone)
	assert.Nil(t, s.lookup(parsed[0]))
	for i := 1; i < len(ids); i++ {
		assert.Same(t, entries[i], s.lookup(parsed[i]), "%q after another left", ids[i])
	}
	s.delete(entries[1], 42)
	s.delete(entries[2], 42)
	assert.Zero(t, s.len())
	assert.Nil(t, s.collided, "an empty collision map is let go")
}

// TestMemoryIDsOfAnyForm runs a session's whole life under IDs the store
// keeps in its rare part (not of the manager's form) as well as decoded
// ones, renewing from one form to the other: the Store interface takes any
// string as an ID, and every answer must name the session by the ID it was
// given, byte for byte.
func TestMemoryIDsOfAnyForm(t *testing.T) {
	forms := map[string]func() string{
		"manager's form": func() string { return testID(t) },
		"short":          func() string { return "s-" + testID(t)[:8] },
		"43, not canonical": func() string {
			id := testID(t)
			return id[:42] + "B"
		},
		"long": func() string { return strings.Repeat("é", 40) + testID(t) },
	}
	for name, newID := range forms {
		for toName, newRenewedID := range forms {
			t.Run(name+" to "+toName, func(t *testing.T) {
				ctx := t.Context()
				path := filepath.Join(t.TempDir(), "sessions")
				st, err := OpenMemory(path)
				require.NoError(t, err)
				m := st
				id := newID()
				rec := Record{Values: map[string]any{"k": "v"}, Created: testBase, Accessed: testBase, Idle: time.Hour}
				require.NoError(t, m.Create(ctx, id, rec))
				require.ErrorIs(t, m.Create(ctx, id, rec), ErrExists)
				require.NoError(t, m.Update(ctx, id, map[string]any{"k": "w"}))
				require.NoError(t, m.SetUser(ctx, id, "alice"))
				got, err := m.UserSessions(ctx, "alice", testBase)
				require.NoError(t, err)
				require.Len(t, got, 1)
				assert.Equal(t, id, got[0].ID)
				assert.Equal(t, MaskedID(id), got[0].MaskedID)

				renewed := newRenewedID()
				require.NoError(t, m.Renew(ctx, id, renewed, testBase))
				assert.ErrorIs(t, m.Update(ctx, id, map[string]any{"k": "x"}), ErrRenewed)
				loaded, found, err := m.Load(ctx, renewed, testBase, false)
				require.NoError(t, err)
				require.True(t, found)
				assert.Equal(t, map[string]any{"k": "w"}, loaded.Values)
				got, err = m.UserSessions(ctx, "alice", testBase)
				require.NoError(t, err)
				require.Len(t, got, 1)
				assert.Equal(t, renewed, got[0].ID)

				require.NoError(t, m.Close())
				st, err = OpenMemory(path)
				require.NoError(t, err)
				m = st
				defer m.Close()
				_, found, err = m.Load(ctx, renewed, testBase, false)
				require.NoError(t, err)
				require.True(t, found, "the session after a restart")

				swept, err := m.Sweep(ctx, testBase.Add(2*time.Hour), 10)
				require.NoError(t, err)
				require.Len(t, swept, 1)
				assert.Equal(t, renewed, swept[0].ID)
				assert.Equal(t, MaskedID(renewed), swept[0].MaskedID)

				other := newID()
				require.NoError(t, m.Create(ctx, other, rec))
				require.NoError(t, m.SetUser(ctx, other, "bob"))
				_, deleted, err := m.DeleteUserSession(ctx, "bob", MaskedID(other))
				require.NoError(t, err)
				assert.True(t, deleted)
				n, err := m.Count(ctx)
				require.NoError(t, err)
				assert.Zero(t, n)
			})
		}
	}
}

// TestEncodesToAgreesWithBase64 checks the lookup's comparison against the
// standard library's encoding: an ID must match exactly the entry whose
// decoded ID encodes to it, or a read finds another user's session or
// misses its own.
func TestEncodesToAgreesWithBase64(t *testing.T) {
	for range 200 {
		id := testID(t)
		raw, ok := decodeID(id)
		require.True(t, ok)
		require.True(t, encodesTo(&raw, id), "ID %q", id)
		for i := range len(id) {
			for _, c := range []byte{'A', 'B', 'w', '_', '-', '=', 0} {
				if id[i] == c {
					continue
				}
				other := id[:i] + string(c) + id[i+1:]
				assert.False(t, encodesTo(&raw, other), "%q matched the entry of %q", other, id)
			}
		}
		assert.False(t, encodesTo(&raw, id[:42]))
		assert.False(t, encodesTo(&raw, id+"A"))
	}
}

// TestMemoryKeyOfAgreesWithParse: an entry leaves its shard's map under the
// key keyOf recomputes from it (Delete, Sweep), which must be the hash its
// ID was filed under, or the entry would stay in the map for ever.
func TestMemoryKeyOfAgreesWithParse(t *testing.T) {
	m := newTestMemory()
	for _, id := range []string{testID(t), "short", testID(t)[:42] + "B", ""} {
		p := m.parse(id)
		e := &memoryEntry{}
		e.setID(p)
		assert.Equal(t, p.hash, m.keyOf(e), "ID %q", id)
		assert.Equal(t, id, e.id())
		assert.True(t, e.is(p), "ID %q", id)
		assert.Zero(t, testing.AllocsPerRun(10, func() { _ = m.keyOf(e) }), "keyOf, asked under the shard's lock, allocates")
	}
}

// TestMemoryEmptyID: the Store interface takes "" as an ID like any other;
// nothing is kept for it in the entry's rare part, which must not be taken
// for missing.
func TestMemoryEmptyID(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	rec := Record{Created: testBase, Accessed: testBase, Idle: time.Hour}
	require.NoError(t, m.Create(ctx, "", rec))
	require.NoError(t, m.Update(ctx, "", map[string]any{"k": 1}))
	_, found, err := m.Load(ctx, "", testBase, false)
	require.NoError(t, err)
	assert.True(t, found)
	_, deleted, err := m.Delete(ctx, "")
	require.NoError(t, err)
	assert.True(t, deleted)
	require.NoError(t, m.Create(ctx, "", rec))
	swept, err := m.Sweep(ctx, testBase.Add(2*time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, swept, 1)
	assert.Equal(t, "", swept[0].ID)
}
