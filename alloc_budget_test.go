package session_test

import (
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// Allocation budgets of a request through UseManager with the defaults
// (memory store, built-in cookie, metrics on): how many heap allocations
// the session layer adds to the same request served by bare Gin. Counts do
// not move with the machine's load, so these hold on any machine; lower
// them when the code gets cheaper, never raise them to pass. Where they go,
// per read: gin's Keys map for c.Set (2: the map and its first group) and
// the request's scope (1), which holds the session it found, the commit
// writer, the writer it sends cookies to and the copy of the request that
// carries the scope to the manager's own methods. A write adds the pending
// change (a map and its first group: 2) and the store's new values (2).
const (
	readAllocBudget  = 3
	writeAllocBudget = 7
)

// budgetWriter is a ResponseWriter that keeps nothing, so that a request's
// allocations are Gin's and the session layer's only.
type budgetWriter struct {
	h      http.Header
	status int
}

func (w *budgetWriter) Header() http.Header         { return w.h }
func (w *budgetWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *budgetWriter) WriteHeader(status int)      { w.status = status }

// allocsPerRequest returns the mean allocations of serving req with h, as
// a fraction, the least of three measurements of 1000 requests each. Under
// the race detector sync.Pool drops a random quarter of what is put back
// (gin's contexts among it), which adds a fraction of an allocation to a
// mean, differently from one measurement to the next; hence the least of
// three, and the half allocation of slack the budgets are checked with. It
// checks that every answer is 200.
func allocsPerRequest(t *testing.T, h http.Handler, req *http.Request) float64 {
	t.Helper()
	const runs = 1000
	w := &budgetWriter{h: http.Header{}}
	failed := 0
	serve := func() {
		clear(w.h)
		w.status = http.StatusOK
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			failed++
		}
	}
	serve() // warm up, as testing.AllocsPerRun does
	least := math.Inf(1)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			serve()
		}
		runtime.ReadMemStats(&after)
		least = min(least, float64(after.Mallocs-before.Mallocs)/runs)
	}
	require.Zero(t, failed, "requests not answered 200")
	return least
}

func TestRequestAllocationBudget(t *testing.T) {
	bare := gin.New()
	bare.GET("/read", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	app := gin.New()
	app.Use(session.UseManager(m, nil))
	app.POST("/login", func(c *gin.Context) {
		s, err := session.CreateSession(c)
		require.NoError(t, err)
		require.NoError(t, s.Set("key", "login"))
		c.String(http.StatusOK, "ok")
	})
	app.GET("/read", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			if _, ok := s.Get("key"); ok {
				c.String(http.StatusOK, "ok")
				return
			}
		}
		c.String(http.StatusForbidden, "no session")
	})
	values := []any{"a", "b"} // boxed once: the handler itself allocates nothing
	var writes int
	app.GET("/write", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil || s.Set("n", values[writes%2]) != nil {
			c.String(http.StatusForbidden, "no session")
			return
		}
		writes++
		c.String(http.StatusOK, "ok")
	})

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	request := func(path string) *http.Request {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(cookies[0])
		return req
	}

	floor := allocsPerRequest(t, bare, httptest.NewRequest(http.MethodGet, "/read", nil))
	read := allocsPerRequest(t, app, request("/read"))
	write := allocsPerRequest(t, app, request("/write"))
	t.Logf("allocations per request: bare Gin %.2f, read %.2f, write %.2f", floor, read, write)
	const slack = 0.5 // see allocsPerRequest
	require.LessOrEqual(t, read-floor, readAllocBudget+slack, "a read allocates more than its budget")
	require.LessOrEqual(t, write-floor, writeAllocBudget+slack, "a write allocates more than its budget")
}
