package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryFileRoundTripsEveryIDAndTime: Close saves every session the
// store holds and OpenMemory brings each back with every field, whatever
// the form of its ID (the Store interface takes any string, the empty one
// included) and whatever its times (before 1678 and after 2262 are outside
// what Unix nanoseconds hold). A session the store accepted but its file
// cannot take back would make the next start refuse the whole file, and
// lose every other session with it.
func TestMemoryFileRoundTripsEveryIDAndTime(t *testing.T) {
	canonical := testID(t)
	ids := map[string]string{
		"manager's form":        canonical,
		"43, not canonical":     canonical[:42] + "B",
		"43, outside alphabet":  canonical[:10] + "+" + canonical[11:],
		"upper case of another": strings.ToUpper(canonical),
		"short":                 "short",
		"long":                  strings.Repeat("é", 40),
		"empty":                 "",
	}
	far := time.Date(1600, 3, 4, 5, 6, 7, 8, time.UTC)
	farther := time.Date(2400, 3, 4, 5, 6, 7, 8, time.UTC)
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "sessions")
			st, err := OpenMemory(path)
			require.NoError(t, err)
			other := testID(t)
			require.NoError(t, st.Create(ctx, other, testRecord(map[string]any{"other": true})))
			want := Record{
				Values:   map[string]any{"k": "v", "n": 2},
				Created:  far,
				Accessed: testBase,
				Idle:     time.Hour,
				Expires:  farther,
				User:     "alice",
			}
			require.NoError(t, st.Create(ctx, id, want))
			require.NoError(t, st.Close())

			st, err = OpenMemory(path)
			require.NoError(t, err, "the file of a session with ID %q", id)
			defer st.Close()
			got, found, err := st.Load(ctx, id, testBase, false)
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, want.Values, got.Values)
			assert.True(t, want.Created.Equal(got.Created), "Created %v, want %v", got.Created, want.Created)
			assert.True(t, want.Accessed.Equal(got.Accessed), "Accessed %v, want %v", got.Accessed, want.Accessed)
			assert.True(t, want.Expires.Equal(got.Expires), "Expires %v, want %v", got.Expires, want.Expires)
			assert.Equal(t, want.Idle, got.Idle)
			assert.Equal(t, want.User, got.User)
			_, found, err = st.Load(ctx, other, testBase, false)
			require.NoError(t, err)
			assert.True(t, found, "the other session")
			n, err := st.Count(ctx)
			require.NoError(t, err)
			assert.Equal(t, 2, n)
		})
	}
}
