package manager_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// Managers made and dropped without Close, as a test suite that builds an
// engine per test does, stop their sweepers once the collector finds them:
// the sweeper holds its manager only weakly. A manager whose event handler
// refers back to it, and whose store holds sessions, is no exception. The
// insecure-cookie warning they all share is logged once.
func TestDroppedManagersStopTheirSweepers(t *testing.T) {
	manager.ForgetInsecureWarnings()
	var logs testkit.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	shared := store.NewMemory()
	defer shared.Close()
	baseline := testkit.GoroutinesSettle(runtime.NumGoroutine())

	const managers = 100
	for i := range managers {
		opts := manager.Options{GcInterval: 1, Logger: logger}
		if i%2 == 1 {
			opts.Store = shared // a store the manager was given: it must stay open
		}
		var m *manager.Manager
		m = manager.NewManager(opts, nil, func(manager.Session, int) { _ = m.GetSessionSize() })
		_, err := m.CreateSession(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
		require.NoError(t, err)
	}
	running := runtime.NumGoroutine()
	require.GreaterOrEqual(t, running, baseline+managers, "each manager runs a sweeper")

	n := testkit.GoroutinesSettle(baseline)
	t.Logf("goroutines: %d before, %d with %d managers, %d once they were dropped", baseline, running, managers, n)
	assert.LessOrEqual(t, n, baseline, "goroutines of dropped managers still run")
	assert.Equal(t, 1, strings.Count(logs.String(), "without Secure"), logs.String())
	count, err := shared.Count(context.Background())
	require.NoError(t, err, "a dropped manager closed the store it was given")
	assert.Equal(t, managers/2, count)
}
