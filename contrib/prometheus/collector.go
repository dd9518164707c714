package prometheus

import (
	"context"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/sessionkit/session/manager"
)

// countTimeout bounds the store call that counts the live sessions on each
// scrape: under Prometheus's default scrape timeout of 10 s, so that a slow
// store costs the scrape that one gauge, not the scrape.
const countTimeout = 5 * time.Second

// The metric names, each with the prefix sessionkit_.
var (
	liveDesc = prom.NewDesc("sessionkit_sessions_live",
		"Sessions in the store, across every instance sharing it; absent from a scrape when the store could not count them.", nil, nil)
	createdDesc = prom.NewDesc("sessionkit_sessions_created_total",
		"Sessions this instance created (one per Created event).", nil, nil)
	renewedDesc = prom.NewDesc("sessionkit_sessions_renewed_total",
		"Sessions this instance gave a new ID (RenewSession).", nil, nil)
	destroyedDesc = prom.NewDesc("sessionkit_sessions_destroyed_total",
		"Sessions this instance ended (one per Destroyed event), by cause: logout, idle, absolute, expired (a deadline, the store did not say which), replaced, user_cap.",
		[]string{"cause"}, nil)
	refusedDesc = prom.NewDesc("sessionkit_sessions_refused_total",
		"Session creations the store refused because it was full (MaxSessions).", nil, nil)
	failedInvalidationsDesc = prom.NewDesc("sessionkit_invalidations_failed_total",
		"Logouts, and removals at the per-user cap, that failed and left the session alive (a store failure, or a renewal in between).", nil, nil)
	sweepClaimedDesc = prom.NewDesc("sessionkit_sweep_claimed_total",
		"Expired sessions the sweeps of this instance destroyed.", nil, nil)
	sweepDurationDesc = prom.NewDesc("sessionkit_sweep_duration_seconds",
		"How long each sweep of expired sessions took.", nil, nil)
	storeErrorsDesc = prom.NewDesc("sessionkit_store_errors_total",
		"Store calls that failed, by operation (not found, renewed, exists, full and cancelled requests are not failures).",
		[]string{"op"}, nil)
	storeDurationDesc = prom.NewDesc("sessionkit_store_duration_seconds",
		"How long store calls took, by operation; empty for the in-memory store, which is not timed.",
		[]string{"op"}, nil)
)

// collector is the prometheus.Collector of one manager.
type collector struct {
	m *manager.Manager
}

// NewCollector returns a prometheus.Collector of m's metrics: the live
// sessions, counted by the store on each scrape, and the counters of
// [manager.Metrics], read without slowing requests down. The names are
// listed in the README's Metrics section. To export several managers from
// one process, register each through prometheus.WrapRegistererWith with a
// label of your own.
func NewCollector(m *manager.Manager) prom.Collector {
	return &collector{m: m}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prom.Desc) {
	for _, d := range []*prom.Desc{
		liveDesc, createdDesc, renewedDesc, destroyedDesc, refusedDesc, failedInvalidationsDesc,
		sweepClaimedDesc, sweepDurationDesc, storeErrorsDesc, storeDurationDesc,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prom.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	n, err := c.m.CountSessions(ctx)
	cancel()
	if err == nil {
		// On failure the gauge is left out rather than failing the whole
		// scrape: the store errors counter (op="count") says why.
		ch <- prom.MustNewConstMetric(liveDesc, prom.GaugeValue, float64(n))
	}

	s := c.m.Metrics()
	counter := func(d *prom.Desc, v uint64, labels ...string) {
		ch <- prom.MustNewConstMetric(d, prom.CounterValue, float64(v), labels...)
	}
	counter(createdDesc, s.Created)
	counter(renewedDesc, s.Renewed)
	for _, d := range []struct {
		cause string
		n     uint64
	}{
		{"logout", s.Destroyed.Logout}, {"idle", s.Destroyed.Idle}, {"absolute", s.Destroyed.Absolute},
		{"expired", s.Destroyed.Expired}, {"replaced", s.Destroyed.Replaced}, {"user_cap", s.Destroyed.UserCap},
	} {
		counter(destroyedDesc, d.n, d.cause)
	}
	counter(refusedDesc, s.Refused)
	counter(failedInvalidationsDesc, s.FailedInvalidations)
	counter(sweepClaimedDesc, s.Sweep.Claimed)
	ch <- histogram(sweepDurationDesc, s.Sweep.Duration)
	for _, op := range []struct {
		name string
		m    manager.StoreOpMetrics
	}{
		{"create", s.Store.Create}, {"load", s.Store.Load}, {"update", s.Store.Update}, {"delete", s.Store.Delete},
		{"renew", s.Store.Renew}, {"count", s.Store.Count}, {"sweep", s.Store.Sweep},
		{"set_user", s.Store.SetUser}, {"set_expires", s.Store.SetExpires},
		{"user_sessions", s.Store.UserSessions}, {"delete_user_session", s.Store.DeleteUserSession},
	} {
		counter(storeErrorsDesc, op.m.Errors, op.name)
		ch <- histogram(storeDurationDesc, op.m.Latency, op.name)
	}
}

// bounds are the histograms' bucket bounds in seconds, as Prometheus has them.
var bounds = func() []float64 {
	var out []float64
	for _, b := range manager.HistogramBounds() {
		out = append(out, b.Seconds())
	}
	return out
}()

// histogram turns a manager histogram into a Prometheus one.
func histogram(d *prom.Desc, h manager.Histogram, labels ...string) prom.Metric {
	buckets := make(map[float64]uint64, len(bounds))
	for i, b := range bounds {
		buckets[b] = h.Buckets[i]
	}
	return prom.MustNewConstHistogram(d, h.Count, h.Sum.Seconds(), buckets, labels...)
}
