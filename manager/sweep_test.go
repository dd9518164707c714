package manager_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
)

func TestSweep(t *testing.T) {
	env := newEnv(t, manager.Options{MaxInactiveInterval: 60, MaxAge: 600}, nil)
	idle, _ := env.create(t)
	_, activeCk := env.create(t)

	env.clock.Advance(30 * time.Second)
	require.NotNil(t, env.m.GetSession(requestWith(activeCk)))
	env.clock.Advance(30 * time.Second) // idle: 60 s unused; active: 30 s

	n, err := env.m.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, env.events.count(idle.GetId(), manager.Destroyed))
	assert.Zero(t, env.events.count(activeCk.Value, manager.Destroyed))
	assert.Equal(t, 1, env.m.GetSessionSize())
	assert.NotNil(t, env.m.GetSessionById(activeCk.Value))

	env.clock.Advance(30 * time.Second)
	n, err = env.m.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, env.events.count(activeCk.Value, manager.Destroyed))
	assert.Equal(t, 0, env.m.GetSessionSize())
}

func TestSweepManyBatches(t *testing.T) {
	const sessions = 600 // more than one store batch
	env := newEnv(t, manager.Options{MaxInactiveInterval: 60}, nil)
	for range sessions {
		env.create(t)
	}
	env.clock.Advance(time.Minute)
	n, err := env.m.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, sessions, n)
	assert.Equal(t, sessions, env.events.countKind(manager.Destroyed))
	assert.Equal(t, 0, env.m.GetSessionSize())
}

func TestBackgroundSweeper(t *testing.T) {
	stop := make(chan struct{})
	env := newEnv(t, manager.Options{MaxInactiveInterval: 60, GcInterval: 1, GcStopChan: stop}, nil)
	s, _ := env.create(t)
	env.clock.Advance(time.Minute)
	assert.Eventually(t, func() bool {
		return env.events.count(s.GetId(), manager.Destroyed) == 1
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
		closed := make(chan error, 1)
		go func() { closed <- m.Close() }()
		select {
		case err := <-closed:
			assert.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Close hung after GcStopChan stopped the sweeper")
		}
		assert.NoError(t, m.Close())
	})
}
