package managertest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// SecurityTimeoutsWithGCStopped proves requirement 5: both timeouts are enforced by every lookup, with the
// sweeper stopped; renewal does not extend the absolute deadline.
func SecurityTimeoutsWithGCStopped(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		opts manager.Options
		// every is how often the browser comes back, until it is refused.
		every time.Duration
		// renewAt is the time after creation at which the browser renews;
		// 0 means never.
		renewAt time.Duration
		// deadAt is the time after creation from which the session must be
		// refused.
		deadAt time.Duration
	}{
		{name: "idle", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 3600}, every: 60 * time.Second, deadAt: 60 * time.Second},
		{name: "idle, used in time", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 59 * time.Second, deadAt: 300 * time.Second},
		{name: "absolute", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 5 * time.Second, deadAt: 300 * time.Second},
		{name: "renewal keeps the absolute deadline", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 5 * time.Second, renewAt: 200 * time.Second, deadAt: 300 * time.Second},
		{name: "idle, no absolute limit", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: -1}, every: 61 * time.Second, deadAt: 61 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := &testkit.RecordingStore{Store: newStore(t)}
			env := testkit.NewStoreEnv(t, rs, tt.opts)
			h := testkit.App(env.M)
			ck := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), env.CookieName)
			if tt.opts.MaxAge > 0 {
				require.Equal(t, tt.opts.MaxAge, ck.MaxAge, "the cookie lives as long as the session")
			}
			firstID := ck.Value

			var elapsed time.Duration
			for {
				env.Clock.Advance(tt.every)
				elapsed += tt.every
				if tt.renewAt > 0 && elapsed == tt.renewAt {
					rec := testkit.Send(h, http.MethodPost, "/renew", ck)
					require.Equal(t, http.StatusOK, rec.Code)
					ck = testkit.SessionCookie(t, rec, env.CookieName)
					assert.Equal(t, int((tt.deadAt-elapsed)/time.Second), ck.MaxAge, "the renewed cookie outlives the session")
					continue
				}
				if elapsed < tt.deadAt {
					alive := testkit.Send(h, http.MethodGet, "/whoami", ck).Body.String() != "none"
					require.Truef(t, alive, "refused %v after creation", elapsed)
					continue
				}
				// Past the deadline: refused without the middleware, and then
				// through it.
				require.Nilf(t, env.M.GetSession(testkit.RequestWith(ck)), "still alive %v after creation", elapsed)
				require.Equalf(t, "none", testkit.Send(h, http.MethodGet, "/whoami", ck).Body.String(), "still alive %v after creation", elapsed)
				break
			}
			assert.Zero(t, rs.Sweeps(), "the store was swept: the timeouts were not enforced by the lookups alone")
			assert.Nil(t, env.M.GetSessionById(ck.Value))
			assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))
			assert.Equal(t, 0, env.M.GetSessionSize())
			if tt.renewAt > 0 {
				assert.NotEqual(t, firstID, ck.Value)
			}
		})
	}
}
