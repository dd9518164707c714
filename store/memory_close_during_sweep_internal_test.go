package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryCloseDuringSweepSavesWhatTheSweepLeft: a store from OpenMemory
// closed while sweeps run saves exactly the sessions no sweep reported: a
// session reported as expired must not come back after the restart, and a
// session not reported must not be lost. Every form of ID and an inline
// value are in play.
func TestMemoryCloseDuringSweepSavesWhatTheSweepLeft(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "sessions")
			st, err := OpenMemory(path)
			require.NoError(t, err)
			ids := map[string]bool{}
			for i := range 3000 {
				var id string
				switch i % 3 {
				case 0:
					id = testID(t)
				case 1:
					id = fmt.Sprintf("short-%d", i)
				default:
					id = testID(t)[:42] + "B"
				}
				rec := testRecord(map[string]any{"id": id})
				rec.Idle = time.Duration(1+i%60) * time.Minute
				require.NoError(t, st.Create(ctx, id, rec))
				ids[id] = true
			}
			var mu sync.Mutex
			swept := map[string]bool{}
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 1; ; i++ {
						entries, err := st.Sweep(ctx, testBase.Add(time.Duration(i)*time.Minute), 7)
						if errors.Is(err, ErrClosed) {
							return
						}
						if !assert.NoError(t, err) {
							return
						}
						mu.Lock()
						for _, e := range entries {
							assert.False(t, swept[e.ID], "%q swept twice", e.ID)
							assert.Equal(t, e.ID, e.Record.Values["id"])
							swept[e.ID] = true
						}
						mu.Unlock()
					}
				}()
			}
			time.Sleep(time.Duration(round) * 2 * time.Millisecond)
			require.NoError(t, st.Close())
			wg.Wait()

			st, err = OpenMemory(path)
			require.NoError(t, err)
			defer st.Close()
			var kept int
			for id := range ids {
				rec, found, err := st.Load(ctx, id, testBase, false)
				require.NoError(t, err)
				if swept[id] {
					assert.False(t, found, "%q was swept, and came back after the restart", id)
					continue
				}
				if assert.True(t, found, "%q was neither swept nor saved", id) {
					kept++
					assert.Equal(t, id, rec.Values["id"])
				}
			}
			n, err := st.Count(ctx)
			require.NoError(t, err)
			assert.Equal(t, kept, n)
		})
	}
}
