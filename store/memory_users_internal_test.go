package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertIndexExact checks what the memory store promises beyond the
// conformance suite, which sees the index only through UserSessions (and
// UserSessions checks each entry against its session): the index holds
// exactly the bound sessions, by their masked IDs, and no user without one.
func assertIndexExact(t *testing.T, m *memory) {
	t.Helper()
	want := map[string]map[string]string{}
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		for id, e := range s.all() {
			if e.renewed || e.bound() == nil {
				continue
			}
			masked := string(e.bound().masked[:])
			assert.Equal(t, MaskedID(id), masked, "the binding's masked ID")
			if want[e.bound().user] == nil {
				want[e.bound().user] = map[string]string{}
			}
			want[e.bound().user][masked] = id
		}
		s.mu.RUnlock()
	}
	got := map[string]map[string]string{}
	for i := range m.users {
		u := &m.users[i]
		u.mu.Lock()
		for user, us := range u.users {
			assert.NotZerof(t, us.len(), "user %q stays in the index without sessions", user)
			assert.Falsef(t, us.many != nil && us.few != nil, "user %q is kept in a slice and a map", user)
			assert.Falsef(t, us.many == nil && len(us.few) > fewSessions, "user %q has %d sessions in a slice", user, len(us.few))
			got[user] = map[string]string{}
			us.each(func(k maskedKey, id string) {
				assert.NotContainsf(t, got[user], string(k[:]), "user %q lists %q twice", user, k)
				got[user][string(k[:])] = id
			})
		}
		u.mu.Unlock()
	}
	assert.Equal(t, want, got, "per-user index")
}

// TestMemoryUserIndexExact walks every path that changes a binding and
// checks after each that the index holds exactly the bound sessions.
func TestMemoryUserIndexExact(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	ids := testIDs(t, 6)
	bound := testRecord(nil)
	bound.User = "ada"

	steps := []struct {
		name string
		do   func() error
	}{
		{"Create bound", func() error { return m.Create(ctx, ids[0], bound) }},
		{"Create unbound", func() error { return m.Create(ctx, ids[1], testRecord(nil)) }},
		{"Create bound, expiring", func() error { return m.Create(ctx, ids[2], bound) }},
		{"bind", func() error { return m.SetUser(ctx, ids[1], "ada") }},
		{"rebind", func() error { return m.SetUser(ctx, ids[1], "bob") }},
		{"Renew bound", func() error { return m.Renew(ctx, ids[0], ids[3], testBase) }},
		{"Renew rebound", func() error { return m.Renew(ctx, ids[1], ids[4], testBase) }},
		{"unbind", func() error { return m.SetUser(ctx, ids[4], "") }},
		{"bind again", func() error { return m.SetUser(ctx, ids[4], "bob") }},
		{"SetExpires earlier", func() error { return m.SetExpires(ctx, ids[2], testBase) }},
		{"Sweep", func() error {
			out, err := m.Sweep(ctx, testBase, 10)
			if len(out) != 1 || out[0].Record.User != "ada" {
				return fmt.Errorf("swept %+v", out)
			}
			return err
		}},
		{"Delete", func() error {
			_, deleted, err := m.Delete(ctx, ids[3])
			if !deleted {
				return errors.New("not deleted")
			}
			return err
		}},
		{"DeleteUserSession", func() error {
			_, deleted, err := m.DeleteUserSession(ctx, "bob", MaskedID(ids[4]))
			if !deleted {
				return errors.New("not deleted")
			}
			return err
		}},
	}
	for _, step := range steps {
		require.NoError(t, step.do(), step.name)
		assertIndexExact(t, m)
	}
	assert.Zero(t, m.count.Load(), "Count")
	for i := range m.users {
		assert.Empty(t, m.users[i].users, "the index once every session ended")
	}
}

// TestMemoryUserIndexExactUnderRace runs binds, rebinds, renewals, deletes
// and sweeps of one user's sessions at once, then checks the index.
func TestMemoryUserIndexExactUnderRace(t *testing.T) {
	const sessions, workers, steps = 32, 8, 200
	ctx := t.Context()
	m := newTestMemory()
	var mu sync.Mutex
	current := testIDs(t, sessions)
	for i, id := range current {
		rec := testRecord(nil)
		rec.User = "ada"
		if i%3 == 0 {
			rec.Accessed = testBase.Add(-time.Hour) // expired: Sweep claims it
		}
		require.NoError(t, m.Create(ctx, id, rec))
	}
	fresh := testIDs(t, workers*steps)

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for step := range steps {
				i := (w*13 + step*7) % sessions
				mu.Lock()
				id := current[i]
				mu.Unlock()
				switch (w + step) % 7 {
				case 0:
					_ = m.SetUser(ctx, id, "ada")
				case 1:
					_ = m.SetUser(ctx, id, "bob")
				case 2:
					_ = m.SetUser(ctx, id, "")
				case 3:
					to := fresh[w*steps+step]
					if m.Renew(ctx, id, to, testBase) == nil {
						mu.Lock()
						if current[i] == id {
							current[i] = to
						}
						mu.Unlock()
					}
				case 4:
					_ = m.SetExpires(ctx, id, testBase.Add(time.Duration(step%3-1)*time.Minute))
				case 5:
					if step%5 == 0 {
						_, _, _ = m.Delete(ctx, id)
					} else {
						_, _, _ = m.DeleteUserSession(ctx, "bob", MaskedID(id))
					}
				default:
					_, _ = m.Sweep(ctx, testBase, 4)
				}
			}
		})
	}
	wg.Wait()
	assertIndexExact(t, m)
	for {
		out, err := m.Sweep(ctx, testBase, 100)
		require.NoError(t, err)
		if len(out) == 0 {
			break
		}
	}
	assertIndexExact(t, m)
}

// TestMemoryUserIndexGrowsAndShrinks: a user's index moves from a slice to
// a map past fewSessions sessions and back once under half of it, and stays
// exact throughout.
func TestMemoryUserIndexGrowsAndShrinks(t *testing.T) {
	ctx := t.Context()
	m := newTestMemory()
	ids := testIDs(t, 3*fewSessions)
	inMap := func() bool {
		u := m.userShard("ada")
		u.mu.Lock()
		defer u.mu.Unlock()
		return u.users["ada"].many != nil
	}
	for i, id := range ids {
		require.NoError(t, m.Create(ctx, id, testRecord(nil)))
		require.NoError(t, m.SetUser(ctx, id, "ada"))
		assert.Equal(t, i+1 > fewSessions, inMap(), "in a map with %d sessions", i+1)
		assertIndexExact(t, m)
	}
	for i, id := range ids {
		_, deleted, err := m.DeleteUserSession(ctx, "ada", MaskedID(id))
		require.NoError(t, err)
		require.True(t, deleted, "DeleteUserSession %d", i)
		left := len(ids) - i - 1
		assert.Equal(t, left > fewSessions/2, inMap(), "in a map with %d sessions", left)
		assertIndexExact(t, m)
	}
}

// BenchmarkMemoryUserIndexBytes measures what binding costs, in heap bytes
// per bound session (the binding and the index entries), for three shapes:
// each session its own user, 4 per user, and 100 per user (a map past
// fewSessions). The sessions are made unbound first, so only the binding is
// measured; the user names belong to the caller, and the store keeps them
// without copying. Run it with -benchtime=1x: each iteration builds 100,000
// sessions.
func BenchmarkMemoryUserIndexBytes(b *testing.B) {
	const n = 100_000
	for _, perUser := range []int{1, 4, 100} {
		b.Run(fmt.Sprintf("sessions_per_user=%d", perUser), func(b *testing.B) {
			ctx := b.Context()
			ids := testIDs(b, n)
			users := make([]string, n/perUser)
			for i := range users {
				users[i] = fmt.Sprintf("user%06d@example.com", i)
			}
			var perSession float64
			for b.Loop() {
				m := newTestMemory()
				for _, id := range ids {
					if err := m.Create(ctx, id, testRecord(nil)); err != nil {
						b.Fatal(err)
					}
				}
				before := heapInUse()
				for i, id := range ids {
					if err := m.SetUser(ctx, id, users[i/perUser]); err != nil {
						b.Fatal(err)
					}
				}
				perSession = float64(heapInUse()-before) / n
				runtime.KeepAlive(m)
			}
			b.ReportMetric(perSession, "B/bound-session")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
