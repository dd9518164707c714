// Package prometheus exports the metrics of a sessionkit manager
// ([manager.Manager.Metrics] and the live-session count) to Prometheus, as a
// prometheus.Collector:
//
//	reg.MustRegister(sessionprom.NewCollector(m))
//
// It is a module of its own, so that the library's users who do not use
// Prometheus do not inherit client_golang. Import it under a name that does
// not clash with client_golang's package, sessionprom for instance.
package prometheus
