package manager_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
)

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
