package manager_test

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

func TestSweep(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{MaxInactiveInterval: 60, MaxAge: 600}, nil)
	idle, _ := env.Create(t)
	_, activeCk := env.Create(t)

	env.Clock.Advance(30 * time.Second)
	require.NotNil(t, env.M.GetSession(testkit.RequestWith(activeCk)))
	env.Clock.Advance(30 * time.Second) // idle: 60 s unused; active: 30 s

	n, err := env.M.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, env.Events.Count(idle.GetId(), manager.Destroyed))
	assert.Zero(t, env.Events.Count(activeCk.Value, manager.Destroyed))
	assert.Equal(t, 1, env.M.GetSessionSize())
	assert.NotNil(t, env.M.GetSessionById(activeCk.Value))

	env.Clock.Advance(30 * time.Second)
	n, err = env.M.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, env.Events.Count(activeCk.Value, manager.Destroyed))
	assert.Equal(t, 0, env.M.GetSessionSize())
}

func TestSweepManyBatches(t *testing.T) {
	const sessions = 600 // more than one store batch
	env := testkit.NewEnv(t, manager.Options{MaxInactiveInterval: 60}, nil)
	for range sessions {
		env.Create(t)
	}
	env.Clock.Advance(time.Minute)
	n, err := env.M.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, sessions, n)
	assert.Equal(t, sessions, env.Events.CountKind(manager.Destroyed))
	assert.Equal(t, 0, env.M.GetSessionSize())
}

// The sweeper destroys expired sessions by itself, also while the
// collector runs: it holds its manager weakly (see
// TestDroppedManagersStopTheirSweepers), and a manager still in use keeps
// sweeping.
func TestBackgroundSweeper(t *testing.T) {
	stop := make(chan struct{})
	env := testkit.NewEnv(t, manager.Options{MaxInactiveInterval: 60, GcInterval: 1, GcStopChan: stop}, nil)
	s, _ := env.Create(t)
	env.Clock.Advance(time.Minute)
	assert.Eventually(t, func() bool {
		runtime.GC()
		return env.Events.Count(s.GetId(), manager.Destroyed) == 1
	}, 5*time.Second, 20*time.Millisecond, "the sweeper did not destroy the expired session")
	close(stop)
}

func TestClose(t *testing.T) {
	t.Run("twice", func(t *testing.T) {
		m := manager.NewManager(manager.Options{Logger: slog.New(slog.DiscardHandler)}, nil, nil)
		require.NoError(t, m.Close())
		require.NoError(t, m.Close())
		select {
		case <-m.SweeperDone():
		default:
			t.Fatal("Close returned before the sweeper stopped")
		}
	})
	t.Run("GcStopChan stops the sweeper", func(t *testing.T) {
		stop := make(chan struct{})
		m := manager.NewManager(manager.Options{GcStopChan: stop, Logger: slog.New(slog.DiscardHandler)}, nil, nil)
		select {
		case <-m.SweeperDone():
			t.Fatal("the sweeper stopped before GcStopChan was closed")
		default:
		}
		close(stop)
		select {
		case <-m.SweeperDone():
		case <-time.After(5 * time.Second):
			t.Fatal("closing GcStopChan did not stop the sweeper")
		}
		assert.NoError(t, closeWithin(t, m, 5*time.Second, "Close hung after GcStopChan stopped the sweeper"))
		assert.NoError(t, m.Close())
	})
}

// closeWithin closes m and returns Close's error, failing the test with
// hung, instead of hanging it, when Close has not returned within d.
func closeWithin(t *testing.T, m *manager.Manager, d time.Duration, hung string) error {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	select {
	case err := <-closed:
		return err
	case <-time.After(d):
		t.Fatal(hung)
		return nil
	}
}

// endlessSweepStore is a store whose Sweep always returns a full batch, as
// one would that hands the same expired sessions back, or that sees a wave
// of expiries larger than any sweep. onSweep, when set, runs inside each
// Sweep with its call number.
type endlessSweepStore struct {
	store.Store
	calls   atomic.Int64
	limit   atomic.Int64 // of the last call
	onSweep func(call int64)
}

func (s *endlessSweepStore) Sweep(_ context.Context, now time.Time, limit int) ([]store.Entry, error) {
	call := s.calls.Add(1)
	s.limit.Store(int64(limit))
	if s.onSweep != nil {
		s.onSweep(call)
	}
	id := testkit.ValidID('s')
	out := make([]store.Entry, limit)
	for i := range out {
		out[i] = store.Entry{ID: id, MaskedID: store.MaskedID(id), Record: store.Record{Created: now, Accessed: now}}
	}
	return out, nil
}

func newEndlessSweepManager(t *testing.T, s *endlessSweepStore, opts manager.Options) *manager.Manager {
	t.Helper()
	s.Store = store.NewMemory()
	opts.Store = s
	opts.Logger = slog.New(slog.DiscardHandler)
	if opts.GcStopChan == nil {
		opts.GcStopChan = testkit.StoppedSweeper()
	}
	m := manager.NewManager(opts, nil, nil)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

// waitOrHang waits for done and fails the test, instead of hanging it, when
// it never comes. The wait is long: it detects a hang, it does not time a
// sweep of a million sessions on a loaded machine under -race.
func waitOrHang(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s never returned", what)
	}
}

// TestSweepEndsWhileBatchesStayFull checks that Manager.Sweep returns when
// the store never runs out of full batches: it used to loop for as long as
// they came, and the sweeper with it.
func TestSweepEndsWhileBatchesStayFull(t *testing.T) {
	s := &endlessSweepStore{}
	m := newEndlessSweepManager(t, s, manager.Options{})

	var n int
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, err = m.Sweep(t.Context())
	}()
	waitOrHang(t, done, "Sweep")
	require.NoError(t, err)
	calls := s.calls.Load()
	assert.Equal(t, int64(manager.SweepMaxBatches), calls, "store sweeps")
	assert.Equal(t, calls*s.limit.Load(), int64(n), "sessions destroyed by %d full batches", calls)
}

// TestSweepStopsBetweenBatches checks that a sweep in progress gives up
// between two store calls once it is told to stop, so that neither a
// cancelled caller nor Close waits for a sweep that goes on and on.
func TestSweepStopsBetweenBatches(t *testing.T) {
	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		s := &endlessSweepStore{onSweep: func(call int64) {
			if call == 3 {
				cancel()
			}
		}}
		m := newEndlessSweepManager(t, s, manager.Options{})
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err = m.Sweep(ctx)
		}()
		waitOrHang(t, done, "Sweep")
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, int64(3), s.calls.Load(), "store sweeps")
	})
	t.Run("GcStopChan closed", func(t *testing.T) {
		stop := make(chan struct{})
		s := &endlessSweepStore{onSweep: func(call int64) {
			if call == 3 {
				close(stop)
			}
		}}
		m := newEndlessSweepManager(t, s, manager.Options{GcInterval: 1, GcStopChan: stop})
		waitOrHang(t, m.SweeperDone(), "the sweeper")
		assert.Equal(t, int64(3), s.calls.Load(), "store sweeps")
	})
	t.Run("Close", func(t *testing.T) {
		swept := make(chan struct{})
		var once sync.Once
		s := &endlessSweepStore{onSweep: func(int64) { once.Do(func() { close(swept) }) }}
		m := newEndlessSweepManager(t, s, manager.Options{GcInterval: 1, GcStopChan: make(chan struct{})})
		waitOrHang(t, swept, "the first sweep")
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			assert.NoError(t, m.Close())
		}()
		waitOrHang(t, closed, "Close during a sweep")
		// Not a sweep run to its end: Close stopped it between batches.
		assert.Less(t, s.calls.Load(), int64(manager.SweepMaxBatches), "store sweeps")
	})
	t.Run("Close during one store sweep that waits", func(t *testing.T) {
		// A store call that waits on Redis (a WAIT no replica answers, say)
		// must not hold Close: the sweeper's context ends with it.
		waiting := make(chan struct{})
		var once sync.Once
		s := &waitingSweepStore{onWait: func() { once.Do(func() { close(waiting) }) }}
		s.Store = store.NewMemory()
		m := manager.NewManager(manager.Options{Store: s, GcInterval: 1, Logger: slog.New(slog.DiscardHandler)}, nil, nil)
		waitOrHang(t, waiting, "the sweep's store call")
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			assert.NoError(t, m.Close())
		}()
		waitOrHang(t, closed, "Close during a store sweep")
	})
}

// waitingSweepStore's Sweep waits until its context ends.
type waitingSweepStore struct {
	store.Store
	onWait func()
}

func (s *waitingSweepStore) Sweep(ctx context.Context, _ time.Time, _ int) ([]store.Entry, error) {
	s.onWait()
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestIdleTimeoutOnLookup(t *testing.T) {
	tests := []struct {
		name string
		// use is what happens to the session 45 s after its creation.
		use func(env *testkit.Env, id string, ck *http.Cookie)
		// used says whether use counts as use: the idle deadline (60 s after
		// the last use) moves from 60 s to 105 s.
		used bool
	}{
		{name: "unused session expires", use: func(*testkit.Env, string, *http.Cookie) {}},
		{name: "GetSessionById is not use", use: func(env *testkit.Env, id string, _ *http.Cookie) {
			env.M.GetSessionById(id)
		}},
		{name: "GetSession(r) is use", use: func(env *testkit.Env, _ string, ck *http.Cookie) {
			env.M.GetSession(testkit.RequestWith(ck))
		}, used: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{MaxInactiveInterval: 60}, nil)
			s, ck := env.Create(t)
			id := s.GetId()
			created := env.Clock.Now().Unix()

			env.Clock.Advance(45 * time.Second)
			tt.use(env, id, ck)
			found := env.M.GetSessionById(id)
			require.NotNil(t, found, "expired before its idle deadline")
			if tt.used {
				assert.Equal(t, created+45, found.GetLastAccessTime())
			} else {
				assert.Equal(t, created, found.GetLastAccessTime())
			}

			env.Clock.Advance(15 * time.Second) // 60 s
			if tt.used {
				require.NotNil(t, env.M.GetSessionById(id))
				assert.Zero(t, env.Events.Count(id, manager.Destroyed))
				env.Clock.Advance(45 * time.Second) // 105 s
			}
			assert.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
			assert.Nil(t, env.M.GetSessionById(id))
			assert.Equal(t, 1, env.Events.Count(id, manager.Destroyed))
		})
	}
}

// TestSecurityTimeoutsWithGCStopped (SECURITY.md, requirement 5) runs on
// the memory store; internal/e2e runs it on Redis.
func TestSecurityTimeoutsWithGCStopped(t *testing.T) {
	managertest.SecurityTimeoutsWithGCStopped(t, managertest.Memory)
}
