package manager_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestStoreFullWarningSurvivesAClockStepBack: after the wall clock steps
// back (NTP, an operator fixing a wrong date), the "store is full" warning
// must come back within its interval of the new time. noteRefusal compares
// now with the last warning's time and stays silent while the difference is
// below a minute, a negative difference included: a clock stepped back by a
// day silences a full store for a day.
func TestStoreFullWarningSurvivesAClockStepBack(t *testing.T) {
	env := newEnv(t, manager.Options{MaxSessions: 1}, nil)
	env.create(t)
	require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
	require.Equal(t, 1, fullWarnings(env.logs.String()))

	env.clock.Step(-24 * time.Hour)
	env.clock.Advance(2 * time.Minute) // well past the interval, on the new clock
	require.ErrorIs(t, createAtCap(t, env), store.ErrTooManySessions)
	assert.Equal(t, 2, fullWarnings(env.logs.String()), "a full store went unreported after the clock stepped back")
}
