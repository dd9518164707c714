package session_test

import (
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// TestGinStoreSaveOfASharedValueStaysLinear: a value whose maps are shared
// (one map held under two keys of its parent, level after level: 15 maps in
// all) is stored and read back in time linear in its maps, as the manager
// copies a shared container once. gin-contrib's Save compares every value
// the session held with the handler's; when reflect.DeepEqual says they
// differ (here a NaN, which the store's NaN rule then accepts as equal),
// ginRequest's equalWithNaN walks the value again without remembering what
// it compared, so it visits every path: 2^14 leaves here.
//
// What a user sees: once such a value is in the session, every request that
// calls Save (to set anything at all) burns CPU exponential in the value's
// depth: 13 s of CPU for a depth of 22, and a request that never ends for
// 40, while the native API reads the same value at once. Allocations stand
// for the work, so that the test does not time anything: a linear compare
// of 15 maps costs hundreds of allocations; the walk costs about 150,000.
func TestGinStoreSaveOfASharedValueStaysLinear(t *testing.T) {
	const depth = 14
	forEachInstall(t, func(t *testing.T, use func(sessions.Store) gin.HandlerFunc) {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		r := gin.New()
		r.Use(use(session.NewGinStore(m)))
		r.POST("/set", func(c *gin.Context) {
			var x any = map[string]any{"score": math.NaN()}
			for range depth {
				x = map[string]any{"left": x, "right": x}
			}
			s := sessions.Default(c)
			s.Set("tree", x)
			require.NoError(t, s.Save())
		})
		r.POST("/touch", func(c *gin.Context) {
			s := sessions.Default(c)
			s.Set("page", "1") // the tree is left alone
			require.NoError(t, s.Save())
		})
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/set", nil))
		require.Equal(t, http.StatusOK, w.Code)
		cookies := w.Result().Cookies()
		require.NotEmpty(t, cookies, "the first Save made a session")

		req := httptest.NewRequest(http.MethodPost, "/touch", nil)
		req.AddCookie(cookies[0])
		w = httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r.ServeHTTP(w, req)
		runtime.ReadMemStats(&after)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Less(t, after.Mallocs-before.Mallocs, uint64(20_000),
			"a Save that leaves a shared value alone compares it in time linear in its 15 maps, not in its 2^14 paths")
	})
}
