package prometheus_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	sessionprom "github.com/sessionkit/session/contrib/prometheus"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// app is a Gin application whose sessions are counted by a registered
// collector, served over HTTP with its /metrics, and a browser for it.
type app struct {
	m      *manager.Manager
	store  *testkit.FaultyStore
	clock  *testkit.Clock
	server *httptest.Server
	client *http.Client
}

func newApp(t *testing.T) *app {
	t.Helper()
	gin.SetMode(gin.TestMode)
	a := &app{store: testkit.NewFaultyStore(), clock: testkit.NewClock()}
	t.Cleanup(func() { require.NoError(t, a.store.Store.Close()) })
	a.m = manager.NewManager(manager.Options{
		Store: a.store, Clock: a.clock.Now, GcStopChan: testkit.StoppedSweeper(),
		MaxInactiveInterval: 60, MaxAge: 3600,
		Logger: slog.New(slog.DiscardHandler),
	}, nil, nil)
	t.Cleanup(func() { require.NoError(t, a.m.Close()) })

	reg := prom.NewPedanticRegistry() // checks the collector's descriptions against what it sends
	require.NoError(t, reg.Register(sessionprom.NewCollector(a.m)))

	r := gin.New()
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError})))
	r.Use(session.UseManager(a.m, nil))
	r.POST("/login", func(c *gin.Context) {
		s, err := session.RenewSession(c)
		if errors.Is(err, manager.ErrNoSession) {
			s, err = session.CreateSession(c)
		}
		if err != nil {
			session.HandleError(c, err)
			return
		}
		_ = s.Set("user", c.Query("user"))
		c.String(http.StatusOK, "ok")
	})
	r.POST("/cart", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusUnauthorized, "no session")
			return
		}
		_ = s.Set("cart", c.Query("item"))
		c.String(http.StatusOK, "ok")
	})
	r.POST("/logout", func(c *gin.Context) {
		if err := session.DestroySession(c); err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	a.server = httptest.NewServer(r)
	t.Cleanup(a.server.Close)
	a.client = a.browser(t)
	return a
}

// browser returns a client with a cookie jar of its own: one user.
func (a *app) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar}
}

// post sends a POST to path as client and returns the status.
func (a *app) post(t *testing.T, client *http.Client, path string) int {
	t.Helper()
	resp, err := client.Post(a.server.URL+path, "text/plain", nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

// scrape reads /metrics as Prometheus would and returns the families by name.
func (a *app) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(a.server.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// value returns the value of the counter or gauge called name whose labels
// are labels (name=value pairs), failing the test when there is none.
func value(t *testing.T, families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m := find(t, families, name, labels...)
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

func find(t *testing.T, families map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "the scrape has no %s", name)
	want := strings.Join(labels, ",")
	for _, m := range f.Metric {
		var have []string
		for _, l := range m.Label {
			have = append(have, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(have, ",") == want {
			return m
		}
	}
	require.FailNow(t, "no such series", "%s{%s}", name, want)
	return nil
}

// TestScrapeAfterAScriptedHistory: a Gin app lives through logins, changes,
// a renewal, a logout, an idle expiry, a sweep and a store failure, and each
// number on /metrics is what happened.
func TestScrapeAfterAScriptedHistory(t *testing.T) {
	a := newApp(t)
	ann, bob, cid := a.client, a.browser(t), a.browser(t)

	require.Equal(t, http.StatusOK, a.post(t, ann, "/login?user=ann")) // created
	require.Equal(t, http.StatusOK, a.post(t, ann, "/cart?item=book")) // update
	require.Equal(t, http.StatusOK, a.post(t, ann, "/login?user=ann")) // renewed
	require.Equal(t, http.StatusOK, a.post(t, ann, "/logout"))         // logout
	require.Equal(t, http.StatusOK, a.post(t, bob, "/login?user=bob")) // created
	require.Equal(t, http.StatusOK, a.post(t, cid, "/login?user=cid")) // created
	require.Equal(t, http.StatusOK, a.post(t, ann, "/login?user=ann")) // created again
	live := a.scrape(t)
	assert.Equal(t, 3.0, value(t, live, "sessionkit_sessions_live"))

	a.clock.Advance(45 * time.Second)
	require.Equal(t, http.StatusOK, a.post(t, cid, "/cart?item=pen")) // keeps cid alive
	a.clock.Advance(30 * time.Second)
	require.Equal(t, http.StatusUnauthorized, a.post(t, bob, "/cart?item=pen")) // idle: found by the lookup
	swept, err := a.m.Sweep(t.Context())                                        // ann's second session: idle too
	require.NoError(t, err)
	require.Equal(t, 1, swept)

	a.store.FailLoad.Store(true)
	require.Equal(t, http.StatusInternalServerError, a.post(t, cid, "/cart?item=cup"), "a failed lookup answers through the error handler")
	a.store.FailLoad.Store(false)

	got := a.scrape(t)
	assert.Equal(t, 1.0, value(t, got, "sessionkit_sessions_live"), "cid's session")
	assert.Equal(t, 4.0, value(t, got, "sessionkit_sessions_created_total"))
	assert.Equal(t, 1.0, value(t, got, "sessionkit_sessions_renewed_total"))
	for cause, want := range map[string]float64{"logout": 1, "idle": 2, "absolute": 0, "expired": 0, "replaced": 0, "user_cap": 0} {
		assert.Equal(t, want, value(t, got, "sessionkit_sessions_destroyed_total", "cause="+cause), cause)
	}
	assert.Equal(t, 1.0, value(t, got, "sessionkit_sweep_claimed_total"))
	assert.Equal(t, uint64(1), find(t, got, "sessionkit_sweep_duration_seconds").Histogram.GetSampleCount())
	assert.Equal(t, 1.0, value(t, got, "sessionkit_store_errors_total", "op=load"))
	for _, op := range []string{"create", "update", "delete", "renew", "count", "sweep", "set_user", "set_expires", "user_sessions", "delete_user_session"} {
		assert.Zero(t, value(t, got, "sessionkit_store_errors_total", "op="+op), op)
	}
	assert.Zero(t, value(t, got, "sessionkit_sessions_refused_total"))
	assert.Zero(t, value(t, got, "sessionkit_invalidations_failed_total"))

	// Every store call was timed (the test store is not the in-memory one,
	// which is not): the load histogram counts each load, failed ones too,
	// in buckets as the manager has them.
	loads := find(t, got, "sessionkit_store_duration_seconds", "op=load").Histogram
	assert.Equal(t, uint64(a.store.Loads()), loads.GetSampleCount())
	bounds := manager.HistogramBounds()
	require.Len(t, loads.Bucket, len(bounds)+1, "the bounds, and +Inf")
	for i, b := range loads.Bucket[:len(bounds)] {
		assert.Equal(t, bounds[i].Seconds(), b.GetUpperBound())
		assert.LessOrEqual(t, b.GetCumulativeCount(), loads.GetSampleCount())
	}
	assert.Equal(t, loads.GetSampleCount(), loads.Bucket[len(bounds)].GetCumulativeCount(), "+Inf holds every load")
	assert.Equal(t, uint64(2), find(t, got, "sessionkit_store_duration_seconds", "op=count").Histogram.GetSampleCount(), "one count per scrape")
}

// TestScrapeWhileTheStoreCannotCount: the live-session gauge is left out,
// and the scrape still answers with every counter, the count failure among
// them.
func TestScrapeWhileTheStoreCannotCount(t *testing.T) {
	a := newApp(t)
	require.Equal(t, http.StatusOK, a.post(t, a.client, "/login?user=ann"))
	a.store.FailCount.Store(true)
	got := a.scrape(t)
	assert.NotContains(t, got, "sessionkit_sessions_live")
	assert.Equal(t, 1.0, value(t, got, "sessionkit_sessions_created_total"))
	assert.Equal(t, 1.0, value(t, got, "sessionkit_store_errors_total", "op=count"))
}

// TestCollectorLintsClean: the names, types, units and help texts pass
// Prometheus's own linter, on what a scrape returns.
func TestCollectorLintsClean(t *testing.T) {
	a := newApp(t)
	resp, err := http.Get(a.server.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	require.NoError(t, err)
	assert.Empty(t, problems)
}
