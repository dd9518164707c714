package manager_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// A manager restarted on the file of a store from store.OpenMemory keeps its
// users logged in: every committed session and value is back under the same
// cookie, and no deadline moved, idle or absolute. A session that expired
// while the program was down is gone, and the sweep reports it Destroyed.
func TestRestartOnASavedMemoryStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions")
	const idle, lifetime = 10 * time.Minute, time.Hour
	opts := manager.Options{MaxInactiveInterval: int64(idle / time.Second), MaxAge: int(lifetime / time.Second)}

	st, err := store.OpenMemory(path)
	require.NoError(t, err)
	opts.Store = st
	before := testkit.NewEnv(t, opts, nil)
	clock := before.Clock
	app := testkit.App(before.M)
	_, ada := before.Create(t)
	require.Equal(t, "ok", testkit.Get(app, "/set?k=user&v=ada", ada).Body.String())
	clock.Advance(5 * time.Minute)
	_, bob := before.Create(t) // created five minutes after ada
	require.Equal(t, "ok", testkit.Get(app, "/set?k=user&v=bob", bob).Body.String())
	clock.Advance(4 * time.Minute)
	require.Equal(t, "ok", testkit.Get(app, "/set?k=cart&v=3", ada).Body.String())
	_, leaving := before.Create(t)
	require.Equal(t, "ok", testkit.Get(app, "/destroy", leaving).Body.String())
	wantAda := testkit.Get(app, "/whoami", ada).Body.String() // ada last used now, bob four minutes ago

	// Shut down: the manager first, then the store it was given, which saves.
	require.NoError(t, before.M.Close())
	require.NoError(t, st.Close())
	clock.Advance(7 * time.Minute) // down for seven minutes: bob idles out, ada does not

	st, err = store.OpenMemory(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	opts.Store, opts.Clock = st, clock.Now
	after := testkit.NewEnv(t, opts, nil)
	app = testkit.App(after.M)

	n, err := after.M.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, after.Events.Count(bob.Value, manager.Destroyed), "the sweep reports bob's session Destroyed")
	assert.Equal(t, wantAda, testkit.Get(app, "/whoami", ada).Body.String(), "ada's session and values are back")
	assert.Equal(t, "none", testkit.Get(app, "/whoami", bob).Body.String(), "bob idled out while the program was down")
	assert.Equal(t, "none", testkit.Get(app, "/whoami", leaving).Body.String(), "a destroyed session stays destroyed")
	assert.Equal(t, 1, after.M.GetSessionSize())

	// No lifetime was extended: ada was created 16 minutes ago (she was
	// used at the restart, just now), so her absolute deadline comes in 44
	// minutes, whatever her use.
	for range 4 {
		clock.Advance(idle - time.Minute)
		require.NotEqual(t, "none", testkit.Get(app, "/whoami", ada).Body.String())
	}
	clock.Advance(44*time.Minute - 4*(idle-time.Minute) - time.Second)
	require.NotEqual(t, "none", testkit.Get(app, "/whoami", ada).Body.String(), "one second before the absolute deadline")
	clock.Advance(time.Second)
	assert.Equal(t, "none", testkit.Get(app, "/whoami", ada).Body.String(), "at the absolute deadline")
}
