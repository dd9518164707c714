package store

import (
	"fmt"
	"sync"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryOneValueLivesInTheEntry pins the layout of the commonest idle
// session, a login nobody came back to: its one value is in its entry, and
// no values object of its own is made, until a read.
func TestMemoryOneValueLivesInTheEntry(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	created, written := testID(t), testID(t)
	require.NoError(t, m.Create(ctx, created, testRecord(map[string]any{"key": "login"})))
	require.NoError(t, m.Create(ctx, written, testRecord(nil)))
	require.NoError(t, m.Update(ctx, written, map[string]any{"key": "login"}))
	for _, id := range []string{created, written} {
		e := m.entryOf(id)
		assert.Nil(t, e.values.Load(), "a values object beside the entry")
		assert.Equal(t, valuePair{"key", "login"}, e.first)
	}
	rec, found, err := m.Load(ctx, written, testBase, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, map[string]any{"key": "login"}, rec.Values)
	require.NoError(t, m.Update(ctx, written, map[string]any{"key": nil, "n": 1}))
	e := m.entryOf(written)
	assert.Equal(t, valuePair{}, e.first, "a read session's entry let go of its stale value")
	rec, _, err = m.Load(ctx, written, testBase, false)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"n": 1}, rec.Values)
}

// TestMemoryInlineValueIsReleased: the value an entry held inline is let
// go once deleted or replaced, whether or not a read built its map first,
// as a value kept in a values object is (see
// TestMemoryDeletedValueOfReadSessionIsReleased).
func TestMemoryInlineValueIsReleased(t *testing.T) {
	for _, read := range []bool{false, true} {
		for _, change := range []any{nil, "small now"} {
			t.Run(fmt.Sprintf("read %v, set to %v", read, change), func(t *testing.T) {
				ctx := t.Context()
				m := newTestMemory()
				id := testID(t)
				big := &secretValue{token: make([]byte, 1<<16)}
				w := weak.Make(big)
				require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"big": big})))
				big = nil
				if read {
					_, _, err := m.Load(ctx, id, testBase, false)
					require.NoError(t, err)
				}
				require.NoError(t, m.Update(ctx, id, map[string]any{"big": change}))
				assert.True(t, collected(w), "the store still holds the value the session deleted or replaced")
				_, found, err := m.Load(ctx, id, testBase, false)
				require.NoError(t, err)
				assert.True(t, found)
			})
		}
	}
}

// TestMemoryInlineValueUnderConcurrentReadsAndWrites races reads of a
// session whose value is in its entry against Updates that move it out
// (two values) and back (one), and a Delete: under -race this checks the
// locking of first; every read must see one of the states written whole.
func TestMemoryInlineValueUnderConcurrentReadsAndWrites(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	for range 50 {
		id := testID(t)
		require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"a": 0})))
		var wg sync.WaitGroup
		for r := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					if r%2 == 0 {
						rec, found, err := m.Load(ctx, id, testBase, i%2 == 0)
						if err != nil || !found {
							continue
						}
						if _, ok := rec.Values["a"]; !ok {
							t.Errorf("values %v lost a", rec.Values)
						}
						continue
					}
					changes := map[string]any{"a": i, "b": i}
					if i%2 == 1 {
						changes["b"] = nil
					}
					if err := m.Update(ctx, id, changes); err != nil && err != ErrNotFound {
						t.Error(err)
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = m.Delete(ctx, id)
		}()
		wg.Wait()
	}
}
