package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkServe measures one request through each contender: "-read" reads
// the session's one value, "-write" changes a value. "bare-gin" is the same
// read route without sessions, the floor of every ratio.
func BenchmarkServe(b *testing.B) {
	b.Run("bare-gin", func(b *testing.B) {
		h := bareGin()
		req := httptest.NewRequest(http.MethodGet, pathPrivate, nil)
		checkServe(b, h, req, readBody)
		serveLoop(b, h, req)
	})
	for _, c := range contenders {
		b.Run(c.name+"-read", func(b *testing.B) {
			h := c.app(b)
			req := requestWith(pathPrivate, login(b, h))
			checkServe(b, h, req, readBody)
			serveLoop(b, h, req)
			checkServe(b, h, req, readBody)
		})
		b.Run(c.name+"-write", func(b *testing.B) {
			h := c.app(b)
			req := requestWith(pathCount, login(b, h))
			checkServe(b, h, req, "")
			serveLoop(b, h, req)
			checkServe(b, h, req, "")
		})
	}
}

// parallelSessions is how many sessions the parallel benchmarks spread
// their goroutines over: one each, as distinct users would, so that what
// they share is the contender's own locks and not one session's.
const parallelSessions = 64

// BenchmarkServeParallel measures the read request from GOMAXPROCS
// goroutines at once, each reading its own session. Run it with -cpu 1,2: a
// contender with no global lock on its read path scales as bare Gin does.
func BenchmarkServeParallel(b *testing.B) {
	b.Run("bare-gin", func(b *testing.B) {
		h := bareGin()
		req := httptest.NewRequest(http.MethodGet, pathPrivate, nil)
		checkServe(b, h, req, readBody)
		serveParallel(b, h, []*http.Request{req})
	})
	for _, c := range contenders {
		b.Run(c.name+"-read", func(b *testing.B) {
			h := c.app(b)
			reqs := make([]*http.Request, parallelSessions)
			for i := range reqs {
				reqs[i] = requestWith(pathPrivate, login(b, h))
				checkServe(b, h, reqs[i], readBody)
			}
			serveParallel(b, h, reqs)
		})
	}
}

// BenchmarkRedisGet is one go-redis GET of a short string: the round trip
// that every Redis contender's request makes at least once.
func BenchmarkRedisGet(b *testing.B) {
	c, key := redisGetSetup(b)
	ctx := context.Background()
	failed := 0
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		if v, err := c.Get(ctx, key).Result(); err != nil || v != loginValue {
			failed++
		}
	}
	cpu.report()
	if failed > 0 {
		b.Fatalf("%d of %d GETs failed", failed, b.N)
	}
}

// BenchmarkRedisGetParallel is BenchmarkRedisGet from GOMAXPROCS goroutines
// sharing one client, the floor of the parallel Redis reads.
func BenchmarkRedisGetParallel(b *testing.B) {
	c, key := redisGetSetup(b)
	var failed atomic.Int64
	warmUp(parallelSessions, func(int) { _ = c.Get(context.Background(), key).Err() })
	b.ReportAllocs()
	cpu := startCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if v, err := c.Get(ctx, key).Result(); err != nil || v != loginValue {
				failed.Add(1)
			}
		}
	})
	cpu.report()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d GETs failed", n, b.N)
	}
}

// redisGetSetup returns a client of the run's Redis and a key holding
// loginValue, as a session read would find it.
func redisGetSetup(b *testing.B) (*redis.Client, string) {
	b.Helper()
	c := redisClient(b)
	key := keyPrefix() + ":get"
	if err := c.Set(context.Background(), key, loginValue, time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	return c, key
}

// cpuClock measures the CPU time of the process over a benchmark's loop.
type cpuClock struct {
	b     *testing.B
	start time.Duration
	ok    bool
}

func startCPU(b *testing.B) cpuClock {
	start, ok := processCPU()
	return cpuClock{b: b, start: start, ok: ok}
}

// report adds cpu-ns/op: the process's CPU time (user and system, all
// threads, the garbage collector's included) over the loop, per iteration.
// On a machine that other work keeps busy, ns/op (wall time) grows with the
// time the benchmark waits for a CPU, while cpu-ns/op stays what a request
// costs; for the Redis contenders it leaves out the round trip's wait.
func (c cpuClock) report() {
	end, ok := processCPU()
	if !c.ok || !ok || c.b.N == 0 {
		return
	}
	c.b.ReportMetric(float64(end-c.start)/float64(c.b.N), "cpu-ns/op")
}

// discardWriter is a ResponseWriter that costs next to nothing, so that
// the benchmarks measure the session layer rather than a recorder. It keeps
// the status, so that every request's outcome is checked.
type discardWriter struct {
	header http.Header
	code   int
}

func newDiscardWriter() *discardWriter { return &discardWriter{header: http.Header{}} }

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

// reset makes w ready for the next request, reusing its header map.
func (w *discardWriter) reset() {
	clear(w.header)
	w.code = 0
}

// serve sends a fresh copy of req through h and returns the status. A copy
// for each request: gorilla/sessions caches the decoded session in the
// request it is given (it replaces *req with a copy holding its registry),
// which would let gin-contrib skip decoding from the second request on.
func (w *discardWriter) serve(h http.Handler, req *http.Request) int {
	fresh := *req
	w.reset()
	h.ServeHTTP(w, &fresh)
	return w.code
}

// loginTimes starts n sessions through h and fails b when any login is not
// answered 200.
func loginTimes(b *testing.B, h http.Handler, n int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, pathLogin, nil)
	w := newDiscardWriter()
	for range n {
		if code := w.serve(h, req); code != http.StatusOK {
			b.Fatalf("login: status %d", code)
		}
	}
}

// serveLoop sends req through h b.N times and fails b when any answer is
// not 200.
func serveLoop(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	w := newDiscardWriter()
	failed := 0
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		if w.serve(h, req) != http.StatusOK {
			failed++
		}
	}
	cpu.report()
	if failed > 0 {
		b.Fatalf("%d of %d requests were not answered 200", failed, b.N)
	}
}

// serveParallel sends reqs through h from GOMAXPROCS goroutines, each
// sending copies of one of reqs, and fails b when any answer is not 200.
func serveParallel(b *testing.B, h http.Handler, reqs []*http.Request) {
	b.Helper()
	var next, failed atomic.Int64
	warmUp(len(reqs), func(i int) {
		fresh := *reqs[i]
		h.ServeHTTP(newDiscardWriter(), &fresh)
	})
	b.ReportAllocs()
	cpu := startCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := reqs[int(next.Add(1)-1)%len(reqs)]
		w := newDiscardWriter()
		n := int64(0)
		for pb.Next() {
			if w.serve(h, req) != http.StatusOK {
				n++
			}
		}
		failed.Add(n)
	})
	cpu.report()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests were not answered 200", n, b.N)
	}
}

// warmUp calls f(0) to f(n-1) at once, so that connection pools hold the
// connections that the parallel goroutines will use before timing starts:
// dialing is not what the parallel benchmarks measure.
func warmUp(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// login starts a session through h's login route and returns the cookies
// that carry it.
func login(b *testing.B, h http.Handler) []*http.Cookie {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, pathLogin, nil))
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusOK || len(cookies) == 0 {
		b.Fatalf("login: status %d, %d cookies: %s", rec.Code, len(cookies), rec.Body)
	}
	return cookies
}

// requestWith returns a GET request of path carrying cookies.
func requestWith(path string, cookies []*http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

// checkServe sends one copy of req through h and fails b unless it is
// answered 200 with wantBody ("" accepts any body), so that no benchmark
// measures an error path.
func checkServe(b *testing.B, h http.Handler, req *http.Request, wantBody string) {
	b.Helper()
	rec := httptest.NewRecorder()
	fresh := *req
	h.ServeHTTP(rec, &fresh)
	if rec.Code != http.StatusOK || (wantBody != "" && rec.Body.String() != wantBody) {
		b.Fatalf("%s %s: status %d, body %q; want 200 %q", req.Method, req.URL.Path, rec.Code, rec.Body, wantBody)
	}
}
