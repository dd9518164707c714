package store

import (
	"fmt"
	"maps"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryOneSessionUnderEveryCall hammers one session with Load, Update
// (each writer its own keys, crossing 8 and 9 values both ways, nil
// deletes), SetUser, SetExpires, UserSessions and Sweep at once. A user
// relies on three things here: a Record's Values never change after Load
// returned them (checked by comparing with a copy, and by -race), Updates of
// different keys never lose each other, and a deleted key stays deleted.
func TestMemoryOneSessionUnderEveryCall(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	id := testID(t)
	require.NoError(t, m.Create(ctx, id, testRecord(map[string]any{"base": "x"})))
	const writers, rounds = 4, 400
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var changedUnderReader atomic.Int64
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec, found, err := m.Load(ctx, id, testBase, true)
				if err != nil || !found {
					changedUnderReader.Add(1000)
					return
				}
				snapshot := maps.Clone(rec.Values)
				runtime.Gosched()
				if !maps.Equal(snapshot, rec.Values) {
					changedUnderReader.Add(1)
				}
			}
		}()
	}
	readers.Add(1)
	go func() {
		defer readers.Done()
		users := []string{"alice", "", "bob"}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			assert.NoError(t, m.SetUser(ctx, id, users[i%len(users)]))
			assert.NoError(t, m.SetExpires(ctx, id, testBase.Add(time.Duration(24+i%5)*time.Hour)))
			_, err := m.UserSessions(ctx, "alice", testBase)
			assert.NoError(t, err)
			got, err := m.Sweep(ctx, testBase.Add(time.Minute), 100)
			assert.NoError(t, err)
			assert.Empty(t, got, "a live session swept")
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := fmt.Sprintf("w%d", w)
			extra := []string{mine + "-a", mine + "-b"}
			for i := 1; i <= rounds; i++ {
				changes := map[string]any{mine: i}
				// Two extra keys per writer come and go: the session moves
				// between 5 and 13 values, through 8 and 9, both ways.
				if i%2 == 0 {
					changes[extra[0]], changes[extra[1]] = i, i
				} else {
					changes[extra[0]], changes[extra[1]] = nil, nil
				}
				assert.NoError(t, m.Update(ctx, id, changes))
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	assert.Zero(t, changedUnderReader.Load(), "a Record's Values changed after Load returned them (or the session vanished)")
	rec, found, err := m.Load(ctx, id, testBase, false)
	require.NoError(t, err)
	require.True(t, found)
	want := map[string]any{"base": "x"}
	for w := range writers {
		mine := fmt.Sprintf("w%d", w)
		want[mine] = rounds
		want[mine+"-a"], want[mine+"-b"] = rounds, rounds
	}
	assert.Equal(t, want, rec.Values, "per-key merge of concurrent Updates")
}

// TestMemorySweepClaimsEachExpiredSessionOnce runs Sweep with a moving
// clock against touching Loads, Renews, Deletes, Updates and SetUser over
// many sessions. Each session carries an identity value that Renew keeps.
// A user (the manager) relies on: each session that ends is reported by
// exactly one of Sweep and Delete, once; Sweep never reports one that was
// live at its now (its Record must be expired then); the report carries the
// session's values and user; Count ends equal to the sessions left.
func TestMemorySweepClaimsEachExpiredSessionOnce(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	const n = 3000
	var clock atomic.Int64 // nanoseconds after testBase
	now := func() time.Time { return testBase.Add(time.Duration(clock.Load())) }
	ids := make([]string, n)
	for i := range ids {
		ids[i] = testID(t)
		rec := testRecord(map[string]any{"sid": i})
		rec.Idle = time.Duration(1+i%50) * time.Millisecond
		if i%3 == 0 {
			rec.User = "u"
		}
		require.NoError(t, m.Create(ctx, ids[i], rec))
	}
	var mu sync.Mutex
	claims := make(map[int]string) // sid -> who claimed it
	claim := func(sid int, who string) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := claims[sid]; dup {
			t.Errorf("session %d claimed twice: by %s and %s", sid, prev, who)
		}
		claims[sid] = who
	}
	var current sync.Map // sid -> current ID
	for i, id := range ids {
		current.Store(i, id)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	// Sweepers with a clock that moves forward.
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				at := now()
				got, err := m.Sweep(ctx, at, 64)
				if !assert.NoError(t, err) {
					return
				}
				for _, e := range got {
					sid, ok := e.Record.Values["sid"].(int)
					if !assert.True(t, ok, "swept record lost its values: %v", e.Record.Values) {
						continue
					}
					assert.True(t, e.Record.ExpiredAt(at), "swept a live session %d (deadline %v, now %v)", sid, e.Record.Deadline(), at)
					if sid%3 == 0 {
						assert.Equal(t, "u", e.Record.User, "swept record lost its user")
					}
					assert.Equal(t, MaskedID(e.ID), e.MaskedID)
					claim(sid, "sweep")
				}
			}
		}()
	}
	// Workers pick sessions and act on them.
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4000; i++ {
				sid := (i*7 + w*131) % n
				v, _ := current.Load(sid)
				id := v.(string)
				switch (i + w) % 6 {
				case 0, 1:
					_, _, err := m.Load(ctx, id, now(), true)
					assert.NoError(t, err)
				case 2:
					newID := testID(t)
					if err := m.Renew(ctx, id, newID, now()); err == nil {
						current.Store(sid, newID)
					}
				case 3:
					if i%5 == 0 {
						rec, found, err := m.Delete(ctx, id)
						if err == nil && found {
							assert.Equal(t, sid, rec.Values["sid"])
							claim(sid, "delete")
						}
					}
				case 4:
					_ = m.Update(ctx, id, map[string]any{"n": i})
				case 5:
					_ = m.SetUser(ctx, id, "u")
					if sid%3 != 0 {
						_ = m.SetUser(ctx, id, "")
					}
				}
				if i%50 == 0 {
					clock.Add(int64(time.Millisecond))
				}
			}
		}()
	}
	// Move the clock until every session has ended, then stop the sweepers.
	for {
		c, _ := m.Count(ctx)
		if c == 0 || clock.Load() > int64(10*time.Second) {
			break
		}
		clock.Add(int64(time.Millisecond))
		time.Sleep(100 * time.Microsecond)
	}
	close(done)
	wg.Wait()
	// Everything has expired by now: a last sweep takes what is left.
	final := testBase.Add(time.Hour)
	for {
		got, err := m.Sweep(ctx, final, 1000)
		require.NoError(t, err)
		if len(got) == 0 {
			break
		}
		for _, e := range got {
			claim(e.Record.Values["sid"].(int), "final sweep")
		}
	}
	c, err := m.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, c, "Count after every session ended")
	assert.Len(t, claims, n, "every session ended exactly once")
	list, err := m.UserSessions(ctx, "u", testBase)
	require.NoError(t, err)
	assert.Empty(t, list, "the per-user index lists a swept session")
	for i := range m.users {
		assert.Empty(t, m.users[i].users, "the per-user index keeps a user with no sessions")
	}
}
