package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sessionkit/session"
	sessionprom "github.com/sessionkit/session/contrib/prometheus"
)

// newMetricsHandler serves m's metrics in Prometheus's format, through
// contrib/prometheus's collector, beside the Go runtime's and the process's.
// Each app has a registry of its own rather than the global one, so that
// two apps in one process (the tests) do not collide.
func newMetricsHandler(m *session.Manager) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		sessionprom.NewCollector(m),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// metricsWithApp reports whether the app's own listener serves /metrics:
// only when -metrics-addr is not given and the app listens on loopback. The
// numbers tell an outsider how many users there are and how the store
// fares, so on an address the network reaches they are served only where
// the operator puts them, with -metrics-addr.
func metricsWithApp(addr, metricsAddr string) bool {
	if metricsAddr != "" {
		return false
	}
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isLoopback(host)
}

// serveMetrics serves /metrics, and nothing else, on a listener of its own at
// addr (-metrics-addr), so that a firewall can keep it from the app's
// public one. It returns the server, already serving, and the address it
// listens on. Serve errors other than a shutdown are logged.
func serveMetrics(addr string, metrics http.Handler) (*http.Server, net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			slog.Error("the metrics listener stopped", "err", err)
		}
	}()
	return srv, ln.Addr(), nil
}
