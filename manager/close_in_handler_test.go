package manager_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// sweptManager returns a manager whose background sweeper runs every
// second, holding n sessions that its clock has moved past their idle
// timeout, so that the sweeper's next tick destroys them and runs
// onDestroyed for each.
func sweptManager(t *testing.T, n int, onDestroyed func(m *manager.Manager)) *manager.Manager {
	t.Helper()
	clock := testkit.NewClock()
	var m *manager.Manager
	m = manager.NewManager(manager.Options{
		MaxInactiveInterval: 60, GcInterval: 1, Clock: clock.Now, Logger: slog.New(slog.DiscardHandler),
	}, nil, func(_ manager.Session, event int) {
		if event == manager.Destroyed {
			onDestroyed(m)
		}
	})
	for range n {
		_, err := m.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		require.NoError(t, err)
	}
	clock.Advance(2 * time.Minute)
	return m
}

// TestCloseFromADestroyedHandler checks that a Destroyed handler run by the
// sweeper may close its manager: Close used to wait for the sweeper, which
// was waiting for the handler, and both hung for ever. The rest of the
// batch's sessions still report their end, and the store the manager made
// is closed once the sweeper has returned.
func TestCloseFromADestroyedHandler(t *testing.T) {
	var destroyed atomic.Int32
	closeErr := make(chan error, 1)
	m := sweptManager(t, 3, func(m *manager.Manager) {
		if destroyed.Add(1) == 1 {
			closeErr <- m.Close()
		}
	})
	select {
	case err := <-closeErr:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("a Close from the sweeper's own Destroyed handler never returned")
	}
	waitOrHang(t, m.SweeperDone(), "the sweeper, after a Close from its own handler,")
	assert.Equal(t, int32(3), destroyed.Load(), "every swept session reports its end")
	_, err := m.CountSessions(context.Background())
	assert.True(t, errors.Is(err, store.ErrClosed), "the manager's own store is closed: %v", err)
	require.NoError(t, m.Close(), "a later Close")
}

// TestCloseWhileTheSweeperRunsHandlers checks a Close from another
// goroutine while a Destroyed handler of the sweeper runs: it returns
// without waiting for the handler (it cannot tell it is not that handler),
// and the sweeper still reports every swept session's end, then closes the
// store.
func TestCloseWhileTheSweeperRunsHandlers(t *testing.T) {
	var destroyed atomic.Int32
	inHandler, release := make(chan struct{}), make(chan struct{})
	m := sweptManager(t, 3, func(*manager.Manager) {
		if destroyed.Add(1) == 1 {
			close(inHandler)
			<-release
		}
	})
	select {
	case <-inHandler:
	case <-time.After(30 * time.Second):
		t.Fatal("the sweeper never destroyed the expired sessions")
	}
	require.NoError(t, closeWithin(t, m, 30*time.Second, "Close waited for a Destroyed handler of the sweeper"))
	close(release)
	waitOrHang(t, m.SweeperDone(), "the sweeper, after Close,")
	assert.Eventually(t, func() bool {
		_, err := m.CountSessions(context.Background())
		return errors.Is(err, store.ErrClosed)
	}, 10*time.Second, 10*time.Millisecond, "the sweeper closes the manager's own store on its way out")
	assert.Equal(t, int32(3), destroyed.Load(), "every swept session reports its end")
}
