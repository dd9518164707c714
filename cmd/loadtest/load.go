package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/sessionkit/session/internal/hostinfo"
)

// runLoad starts the instances over be, runs the clients for the duration
// (or until ctx ends), reads every acknowledged value back and returns the
// report. An error means the run could not start.
func runLoad(ctx context.Context, cfg config, be *backend) (rep *report, err error) {
	ins := make([]*instance, 0, cfg.instances)
	defer func() {
		for _, in := range ins {
			err = errors.Join(err, in.stop())
		}
	}()
	urls := make([]string, 0, cfg.instances)
	logger := appLogger(cfg)
	for range cfg.instances {
		in, err := startInstance(be, logger)
		if err != nil {
			return nil, err
		}
		ins = append(ins, in)
		urls = append(urls, in.url)
	}

	// One transport keeps a connection per client and instance alive, as
	// browsers do; with net/http's default of two idle connections per
	// host the clients would open and close connections all the time and
	// measure the kernel's port recycling instead of the app.
	transport := &http.Transport{
		MaxIdleConns:        cfg.clients * cfg.instances,
		MaxIdleConnsPerHost: cfg.clients,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	var window *failover
	if cfg.failover > 0 {
		window = &failover{at: cfg.failover, grace: cfg.failoverGrace, revive: cfg.revive}
	}
	clients := make([]*client, cfg.clients)
	for i := range clients {
		clients[i] = newClient(i, cfg, urls, transport, window)
	}

	rep = &report{
		cfg: cfg, backend: be.name, procs: runtime.GOMAXPROCS(0),
		errors: map[string]int{}, failover: window, failoverErrors: map[string]int{},
	}
	rep.heapBefore = liveHeap()
	rep.loadavg = hostinfo.LoadAverage()

	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() { c.loop(stop) })
	}
	var killer sync.WaitGroup
	if window != nil {
		killer.Go(func() { window.run(be.deployment, start, stop) })
	}
	select {
	case <-time.After(cfg.duration):
	case <-ctx.Done():
	}
	close(stop)
	wg.Wait()
	killer.Wait()
	if window != nil && window.recovered() > 0 {
		// The read-back is no part of the failover: give the clients the
		// grace to find the new master first, then count every failure.
		time.Sleep(time.Until(time.Unix(0, window.recoveredAt.Load()).Add(window.grace)))
	}
	rep.elapsed = time.Since(start)
	pprof.StopCPUProfile() // a no-op without -cpuprofile

	for _, c := range clients {
		wg.Go(c.verify)
	}
	wg.Wait()
	rep.sessionsAfter = ins[0].m.GetSessionSize()
	if be.deployment != nil {
		// A master that changed without -failover was taken for dead
		// while alive: what the report counts then is that failover's.
		mctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		rep.mastersBefore = be.masters
		rep.mastersAfter, _ = mastersOf(mctx, be.deployment)
		cancel()
	}

	for _, c := range clients {
		rep.merge(&c.stats)
	}
	// The samples are garbage once summarised, so the heap below is the
	// app's and the clients' state, not the report's.
	rep.summarise(takeLatencies(clients))
	transport.CloseIdleConnections()
	rep.heapAfter = liveHeap()
	return rep, nil
}

// takeLatencies gathers the clients' latency samples and lets go of theirs.
func takeLatencies(clients []*client) []time.Duration {
	n := 0
	for _, c := range clients {
		n += len(c.stats.latencies)
	}
	all := make([]time.Duration, 0, n)
	for _, c := range clients {
		all = append(all, c.stats.latencies...)
		c.stats.latencies = nil
	}
	return all
}

// liveHeap returns the bytes of live heap objects after a full GC.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
