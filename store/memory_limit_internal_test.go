package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fill returns a store capped at n that holds n sessions, and their IDs.
func fill(t *testing.T, n int) (*memory, []string) {
	t.Helper()
	m := newTestMemory(WithMaxSessions(n))
	t.Cleanup(func() { assert.NoError(t, m.Close()) })
	ids := testIDs(t, n)
	for _, id := range ids {
		require.NoError(t, m.Create(t.Context(), id, testRecord(nil)))
	}
	return m, ids
}

func requireCount(t *testing.T, m *memory, want int) {
	t.Helper()
	n, err := m.Count(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, n)
}

func TestMemoryLimitRefusesPastTheCap(t *testing.T) {
	ctx := t.Context()
	m, _ := fill(t, 3)
	assert.Zero(t, m.refused.Load(), "filling up to the cap refused something")

	for i := range 2 {
		id := testID(t)
		err := m.Create(ctx, id, testRecord(map[string]any{"k": "v"}))
		require.ErrorIs(t, err, ErrTooManySessions)
		assert.Equal(t, uint64(i+1), m.refused.Load())

		_, found, err := m.Load(ctx, id, testBase, false)
		require.NoError(t, err)
		assert.False(t, found, "a refused session was stored")
		requireCount(t, m, 3)
	}
	assert.Regexp(t, "^store: ", ErrTooManySessions.Error())
}

// TestMemoryLimitRefusalAllocatesNothing: a flood of refused creations must
// cost no memory, which is the point of the cap.
func TestMemoryLimitRefusalAllocatesNothing(t *testing.T) {
	ctx := t.Context()
	m, _ := fill(t, 1)
	id, rec := testID(t), testRecord(map[string]any{"k": "v"})
	allocs := testing.AllocsPerRun(100, func() {
		if err := m.Create(ctx, id, rec); err != ErrTooManySessions {
			t.Fatalf("Create at the cap: %v", err)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, uint64(101), m.refused.Load(), "AllocsPerRun runs the function once more to warm up")
}

func TestMemoryLimitRoomComesBack(t *testing.T) {
	tests := []struct {
		name string
		free func(t *testing.T, m *memory, ids []string)
	}{
		{name: "delete", free: func(t *testing.T, m *memory, ids []string) {
			_, deleted, err := m.Delete(t.Context(), ids[0])
			require.NoError(t, err)
			require.True(t, deleted)
		}},
		{name: "sweep", free: func(t *testing.T, m *memory, _ []string) {
			// testRecord(nil) idles out after 30 minutes.
			swept, err := m.Sweep(t.Context(), testBase.Add(time.Hour), 1)
			require.NoError(t, err)
			require.Len(t, swept, 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			m, ids := fill(t, 2)
			require.ErrorIs(t, m.Create(ctx, testID(t), testRecord(nil)), ErrTooManySessions)

			tt.free(t, m, ids)
			requireCount(t, m, 1)
			require.NoError(t, m.Create(ctx, testID(t), testRecord(nil)), "freed room was not reusable")
			requireCount(t, m, 2)
			require.ErrorIs(t, m.Create(ctx, testID(t), testRecord(nil)), ErrTooManySessions)
			assert.Equal(t, uint64(2), m.refused.Load())
		})
	}
}

func TestMemoryLimitRenewAtTheCap(t *testing.T) {
	ctx := t.Context()
	m, ids := fill(t, 2)
	renewed := testID(t)

	require.NoError(t, m.Renew(ctx, ids[0], renewed, testBase), "renewal counted as a new session")
	requireCount(t, m, 2)
	_, found, err := m.Load(ctx, renewed, testBase, false)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Zero(t, m.refused.Load())
	require.ErrorIs(t, m.Create(ctx, testID(t), testRecord(nil)), ErrTooManySessions,
		"renewal freed a place it did not give back")
}

func TestMemoryLimitBelowOneMeansNoCap(t *testing.T) {
	tests := []struct {
		name string
		opts []MemoryOption
	}{
		{name: "no option"},
		{name: "limit 0", opts: []MemoryOption{WithMaxSessions(0)}},
		{name: "limit -1", opts: []MemoryOption{WithMaxSessions(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 1000
			m := newTestMemory(tt.opts...)
			t.Cleanup(func() { assert.NoError(t, m.Close()) })
			for _, id := range testIDs(t, n) {
				require.NoError(t, m.Create(t.Context(), id, testRecord(nil)))
			}
			requireCount(t, m, n)
			assert.Zero(t, m.refused.Load())
		})
	}
}

// TestMemoryLimitConcurrentCreates races creations, deletions and renewals
// over many shards while a watcher checks the count: it never passes the
// cap, and every creation is either stored or counted as refused.
func TestMemoryLimitConcurrentCreates(t *testing.T) {
	const limit, workers, perWorker = 50, 16, 200
	ctx := t.Context()
	m := newTestMemory(WithMaxSessions(limit))
	t.Cleanup(func() { assert.NoError(t, m.Close()) })

	ids := make([][]string, workers)
	for w := range ids {
		ids[w] = testIDs(t, 2*perWorker) // the second half are renewal targets
	}
	var created atomic.Uint64
	stop := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, err := m.Count(ctx)
			assert.NoError(t, err)
			if !assert.LessOrEqual(t, n, limit) {
				return
			}
		}
	})

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i, id := range ids[w][:perWorker] {
				err := m.Create(ctx, id, testRecord(nil))
				if err != nil {
					assert.ErrorIs(t, err, ErrTooManySessions)
					continue
				}
				created.Add(1)
				switch i % 3 {
				case 0: // make room for other workers
					_, _, err := m.Delete(ctx, id)
					assert.NoError(t, err)
				case 1:
					assert.NoError(t, m.Renew(ctx, id, ids[w][perWorker+i], testBase))
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	watcher.Wait()

	assert.Equal(t, uint64(workers*perWorker), created.Load()+m.refused.Load(),
		"a creation was neither stored nor counted as refused")
	assert.NotZero(t, m.refused.Load(), "the test never reached the cap")
	n, err := m.Count(ctx)
	require.NoError(t, err)
	assert.LessOrEqual(t, n, limit)
	assert.Equal(t, n, stored(t, m, ids), "the count drifted from what is stored")
}

// stored counts the IDs of ids that the store holds.
func stored(t *testing.T, m *memory, ids [][]string) int {
	t.Helper()
	ctx, n := t.Context(), 0
	for _, worker := range ids {
		for _, id := range worker {
			_, found, err := m.Load(ctx, id, testBase, false)
			require.NoError(t, err)
			if found {
				n++
			}
		}
	}
	return n
}
