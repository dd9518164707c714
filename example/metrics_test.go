package main

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrapeSeries reads the Prometheus text at url as a scraper would and
// returns every counter and gauge series by its name and labels, written
// as in a query: `name{label="value"}`.
func scrapeSeries(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s", url)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	series := map[string]float64{}
	for name, f := range families {
		for _, m := range f.Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			sort.Strings(labels)
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				series[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				series[key] = m.Gauge.GetValue()
			}
		}
	}
	return series
}

// TestMetricsAfterAScriptedHistory: a user logs in, reads the private page,
// renews the session and logs out while a second user logs in and stays,
// all through the example's routes; /metrics then shows what happened.
func TestMetricsAfterAScriptedHistory(t *testing.T) {
	a := startSite(t, config{instance: "test-instance", metricsWithApp: true}, captureLogs(t))

	a.login("alice")
	resp, _ := a.get("/private")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = a.post("/renew", nil)
	require.Equal(t, "/private", resp.Request.URL.Path)
	resp, _ = a.post("/logout", nil)
	require.Equal(t, "/", resp.Request.URL.Path)

	_, bob := newJar(t)
	resp, err := bob.PostForm(a.srv.URL+"/login", url.Values{"user": {"bob"}})
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, "/private", resp.Request.URL.Path, "bob is logged in")

	got := scrapeSeries(t, a.srv.URL+"/metrics")
	for series, want := range map[string]float64{
		"sessionkit_sessions_live":                              1, // bob's
		"sessionkit_sessions_created_total":                     2, // alice's and bob's
		"sessionkit_sessions_renewed_total":                     1, // alice's renew
		`sessionkit_sessions_destroyed_total{cause="logout"}`:   1, // alice's logout
		`sessionkit_sessions_destroyed_total{cause="idle"}`:     0,
		`sessionkit_sessions_destroyed_total{cause="replaced"}`: 0,
		`sessionkit_store_errors_total{op="load"}`:              0,
	} {
		v, ok := got[series]
		if assert.True(t, ok, "the scrape has no %s", series) {
			assert.Equal(t, want, v, series)
		}
	}
	assert.Contains(t, got, "go_goroutines", "the Go runtime's collector is registered too")
}

// TestMetricsServedOnlyWhereChosen: the app's listener serves /metrics on
// loopback only; -metrics-addr moves it to a listener of its own, which
// serves nothing else.
func TestMetricsServedOnlyWhereChosen(t *testing.T) {
	for _, c := range []struct {
		addr, metricsAddr string
		withApp           bool
	}{
		{"localhost:8080", "", true},
		{"127.0.0.1:0", "", true},
		{"[::1]:8080", "", true},
		{":8080", "", false}, // every interface: the network would read it
		{"0.0.0.0:8080", "", false},
		{"192.168.1.10:8080", "", false},
		{"localhost:8080", "127.0.0.1:9090", false}, // a listener of its own instead
		{":8080", "127.0.0.1:9090", false},
	} {
		assert.Equal(t, c.withApp, metricsWithApp(c.addr, c.metricsAddr), "%s with -metrics-addr %q", c.addr, c.metricsAddr)
	}

	a := newSite(t) // metricsWithApp false, as on a public address
	resp, _ := a.get("/metrics")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the app's listener must not serve /metrics")

	srv, bound, err := serveMetrics("127.0.0.1:0", a.app.metrics)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	base := "http://" + bound.String()
	a.login("alice")
	assert.Equal(t, 1.0, scrapeSeries(t, base+"/metrics")["sessionkit_sessions_created_total"])
	resp, err = http.Get(base + "/")
	require.NoError(t, err)
	readBody(t, resp)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the metrics listener serves nothing but /metrics")
}
