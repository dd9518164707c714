package session_test

import (
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// Engines built with UseSession and dropped without a way to close their
// managers (100 test engines, say) leave no sweeper running once the
// collector finds them, whichever carrier brings the session ID, and log the
// insecure-cookie warning at most once between them. The manager's own test
// (TestDroppedManagersStopTheirSweepers) shows the sweeper lets go; this one
// shows that the Gin middleware keeps no manager alive either.
func TestDroppedEnginesStopTheirSweepers(t *testing.T) {
	for _, carrier := range []struct {
		name string
		new  func() sessions.Store
	}{
		{"built-in cookie", func() sessions.Store { return nil }},
		{"gin-contrib cookie", func() sessions.Store { return cookie.NewStore(carrierKey) }},
	} {
		t.Run(carrier.name, func(t *testing.T) {
			var logs testkit.Buffer
			opts := session.Options{MaxAge: 600, GcInterval: 1, Rand: issued,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			baseline := testkit.GoroutinesSettle(runtime.NumGoroutine())

			const engines = 100
			for range engines {
				r := gin.New()
				r.Use(session.UseSession(opts, carrier.new(), nil))
				r.GET("/login", func(c *gin.Context) {
					_, err := session.CreateSession(c)
					require.NoError(t, err)
				})
				w := httptest.NewRecorder()
				r.ServeHTTP(w, httptest.NewRequest("GET", "/login", nil))
				require.Len(t, w.Result().Cookies(), 1)
			}
			require.GreaterOrEqual(t, runtime.NumGoroutine(), baseline+engines, "each engine's manager runs a sweeper")

			assert.LessOrEqual(t, testkit.GoroutinesSettle(baseline), baseline, "goroutines of dropped engines still run")
			// Once per process: an earlier test may have logged it already.
			assert.LessOrEqual(t, strings.Count(logs.String(), "without Secure"), 1, logs.String())
		})
	}
}
