package bench

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	contribmemstore "github.com/gin-contrib/sessions/memstore"

	session "github.com/sessionkit/session"
)

// heapContender is an in-memory session layer whose cost per idle session
// BenchmarkHeapPerSession measures.
type heapContender struct {
	name string
	// app returns the contender's handler of the three routes and a func
	// that stops what it started.
	app func() (http.Handler, func())
}

var heapContenders = []heapContender{
	{"sessionkit-memory", func() (http.Handler, func()) {
		opts := sessionkitOptions()
		opts.MaxSessions = -1 // the default cap is 1,000,000: the store must hold them all
		m := session.NewManager(opts, nil, nil)
		return sessionkitApp(m, nil), func() { _ = m.Close() }
	}},
	{"scs-memstore", func() (http.Handler, func()) {
		st := memstore.New()
		sm := scs.New()
		sm.Store = st
		return scsApp(sm), st.StopCleanup
	}},
	{"gin-contrib-memstore", func() (http.Handler, func()) {
		return contribApp(contribmemstore.NewStore(signingKey)), func() {}
	}},
}

// BenchmarkHeapPerSession reports the live heap that each idle session
// holding one short string costs, in B/session: the heap in use after a
// full GC once n sessions were started through the login route, less the
// heap in use before, divided by n. Its ns/op is the time to start the n
// sessions. It measures at 100,000 and 1,000,000 sessions; under -short,
// which CI uses to keep the benchmarks from rotting, at 10,000 only.
func BenchmarkHeapPerSession(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if testing.Short() {
		sizes = []int{10_000}
	}
	for _, n := range sizes {
		for _, c := range heapContenders {
			b.Run(fmt.Sprintf("%s-%d", c.name, n), func(b *testing.B) {
				var perSession float64
				for range b.N {
					perSession = heapPerSession(b, c, n)
				}
				b.ReportMetric(perSession, "B/session")
			})
		}
	}
}

// heapPerSession starts n sessions in a fresh instance of c and returns the
// live heap they added, per session.
func heapPerSession(b *testing.B, c heapContender, n int) float64 {
	b.Helper()
	h, stop := c.app()
	defer stop()
	before := liveHeap()
	loginTimes(b, h, n)
	after := liveHeap()
	runtime.KeepAlive(h)
	return float64(int64(after)-int64(before)) / float64(n)
}

// liveHeap returns the bytes of heap objects in use after a full collection.
// It collects twice, so that objects freed by finalizers are gone too.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
