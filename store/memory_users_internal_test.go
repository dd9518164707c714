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
		for id, e := range s.entries {
			if e.renewed || e.bound == nil {
				continue
			}
			assert.Equal(t, MaskedID(id), e.bound.maskedID, "the binding's masked ID")
			if want[e.bound.user] == nil {
				want[e.bound.user] = map[string]string{}
			}
			want[e.bound.user][e.bound.maskedID] = id
		}
		s.mu.RUnlock()
	}
	got := map[string]map[string]string{}
	for i := range m.users {
		u := &m.users[i]
		u.mu.Lock()
		for user, sessions := range u.users {
			assert.NotEmptyf(t, sessions, "user %q stays in the index without sessions", user)
			got[user] = map[string]string{}
			for masked, id := range sessions {
				got[user][masked] = id
			}
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

// BenchmarkMemoryUserIndexBytes measures what binding costs, in heap bytes
// per bound session (the binding, its masked ID and the index entries),
// for two shapes: each session its own user, and 100 sessions per user.
// The sessions are made unbound first, so only the binding is measured.
func BenchmarkMemoryUserIndexBytes(b *testing.B) {
	const n = 100_000
	for _, perUser := range []int{1, 100} {
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
