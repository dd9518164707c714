package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryNoAnswerNamesAnotherSession races every write of the Store
// interface, and sweeps, over sessions of IDs of every form (the manager's,
// 43 characters not canonical, short, empty), whose single value is kept in
// the entry until a first Update. Each session holds its own ID as a value:
// no Load, Delete, Sweep or UserSessions may ever answer for one ID with
// the record of another (the worst bug a session store can have), and at
// the end Count must agree with the sessions found. Run under -race it
// also checks the locking of the new index and of the inline value.
func TestMemoryNoAnswerNamesAnotherSession(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	base := testID(t)
	var pool []string
	for i := range 24 {
		id := testID(t)
		pool = append(pool, id, id[:42]+"B", strings.ToLower(id), fmt.Sprintf("s%d", i))
	}
	pool = append(pool, "", base)
	// sources records, for each ID, the IDs a Renew moved a session to it
	// from, with how many Renews between them succeeded or are under way:
	// a session holds the ID it was created under until the Update after a
	// Renew, so its record may name any ID it was renewed from, directly
	// or through others.
	var linksMu sync.Mutex
	sources := map[string]map[string]int{}
	link := func(from, to string, d int) {
		linksMu.Lock()
		defer linksMu.Unlock()
		if sources[to] == nil {
			sources[to] = map[string]int{}
		}
		sources[to][from] += d
	}
	owns := func(id string, rec Record) bool {
		got, _ := rec.Values["id"].(string)
		if got == id {
			return true
		}
		linksMu.Lock()
		defer linksMu.Unlock()
		seen := map[string]bool{id: true}
		queue := []string{id}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for from, n := range sources[cur] {
				if n <= 0 || seen[from] {
					continue
				}
				if from == got {
					return true
				}
				seen[from] = true
				queue = append(queue, from)
			}
		}
		return false
	}
	var wrong sync.Map
	report := func(op, id string, rec Record) {
		if !owns(id, rec) {
			wrong.Store(op+" "+id, rec.Values["id"])
		}
	}
	var wg sync.WaitGroup
	deadline := time.Now().Add(time.Second)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(deadline) {
				id := pool[r.IntN(len(pool))]
				now := testBase.Add(time.Duration(r.IntN(90)) * time.Minute)
				switch r.IntN(11) {
				case 0, 1:
					rec := testRecord(map[string]any{"id": id})
					rec.Accessed = now
					_ = m.Create(ctx, id, rec)
				case 2, 3:
					if rec, found, err := m.Load(ctx, id, now, r.IntN(2) == 0); err == nil && found {
						report("Load", id, rec)
					}
				case 4:
					_ = m.Update(ctx, id, map[string]any{"id": id, "n": r.IntN(3)})
				case 5:
					if rec, deleted, err := m.Delete(ctx, id); err == nil && deleted {
						report("Delete", id, rec)
					}
				case 6:
					_ = m.SetUser(ctx, id, []string{"", "alice", "bob"}[r.IntN(3)])
				case 7:
					_ = m.SetExpires(ctx, id, now.Add(time.Duration(r.IntN(60))*time.Minute))
				case 8:
					entries, err := m.Sweep(ctx, now, 1+r.IntN(8))
					if err == nil {
						for _, e := range entries {
							report("Sweep", e.ID, e.Record)
							if e.MaskedID != MaskedID(e.ID) {
								wrong.Store("Sweep masked "+e.ID, e.MaskedID)
							}
						}
					}
				case 9:
					user := []string{"alice", "bob"}[r.IntN(2)]
					entries, err := m.UserSessions(ctx, user, now)
					if err == nil {
						for _, e := range entries {
							report("UserSessions", e.ID, e.Record)
						}
						if len(entries) > 0 {
							e := entries[r.IntN(len(entries))]
							if rec, deleted, err := m.DeleteUserSession(ctx, user, e.MaskedID); err == nil && deleted {
								report("DeleteUserSession", e.ID, rec)
							}
						}
					}
				case 10:
					to := pool[r.IntN(len(pool))]
					if to == id {
						continue
					}
					// Record the link before the Renew can be seen, and take it
					// back if the Renew did not happen.
					link(id, to, 1)
					if err := m.Renew(ctx, id, to, now); err != nil {
						link(id, to, -1)
					}
				}
			}
		}()
	}
	wg.Wait()
	wrong.Range(func(k, v any) bool {
		t.Errorf("%v answered with the record of %q", k, v)
		return true
	})
	var live int
	for _, id := range pool {
		_, found, err := m.Load(ctx, id, testBase, false)
		require.NoError(t, err)
		if found {
			live++
		}
	}
	// A session whose deadline passed is not found but still counted until
	// swept: sweep everything out, then nothing may be left counted.
	far := testBase.Add(1000 * time.Hour)
	for {
		entries, err := m.Sweep(ctx, far, 1000)
		require.NoError(t, err)
		if len(entries) == 0 {
			break
		}
	}
	n, err := m.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "sessions counted after every session was swept (%d were live)", live)
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		assert.Empty(t, s.entries, "sessions or tombstones left in shard %d after a sweep past every deadline", i)
		s.mu.RUnlock()
	}
}
