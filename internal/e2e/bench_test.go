package e2e_test

import (
	"encoding/gob"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	ginredis "github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// These benchmarks compare one request's cost through Gin with a bare Gin
// handler and with gin-contrib/sessions on the same machine in the same
// run; quote their ratios, not their absolute times. The Redis ones compare
// sessionkit's Redis store with gin-contrib's redis store (boj/redistore:
// gob over redigo) against the same private redis-server, so that the
// ratio, not the loopback latency, is the result. Run them with:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./internal/e2e/ | tee bench.txt
//	benchstat bench.txt

// Where each app logs in and what it reads back.
const (
	benchLogin      = "/login?user=ada"
	benchReadTarget = "/get?k=user"
)

// serveBench sends req through h b.N times and checks the status once.
func serveBench(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	rec := httptest.NewRecorder()
	first := *req
	h.ServeHTTP(rec, &first)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d", rec.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// A fresh copy for each request: gorilla/sessions caches the decoded
		// session in the request it is given, which would let gin-contrib
		// skip its decoding from the second iteration on.
		fresh := *req
		h.ServeHTTP(discardWriter{header: http.Header{}}, &fresh)
	}
}

// discardWriter is a ResponseWriter that costs next to nothing, so the
// benchmarks measure the middleware rather than the recorder.
type discardWriter struct{ header http.Header }

func (w discardWriter) Header() http.Header {
	clear(w.header)
	return w.header
}
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

// benchSession logs in through h and returns the request method target
// with the session's cookies.
func benchSession(b *testing.B, h http.Handler, method, target string) *http.Request {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, benchLogin, nil))
	if rec.Code != http.StatusOK || len(rec.Result().Cookies()) == 0 {
		b.Fatalf("login: status %d", rec.Code)
	}
	req := httptest.NewRequest(method, target, nil)
	for _, ck := range rec.Result().Cookies() {
		req.AddCookie(ck)
	}
	return req
}

// benchManager returns a manager with default options on st (nil: memory)
// that logs nothing.
func benchManager(b *testing.B, st store.Store) *manager.Manager {
	b.Helper()
	m := manager.NewManager(manager.Options{Logger: slog.New(slog.DiscardHandler), Store: st}, nil, nil)
	b.Cleanup(func() { _ = m.Close() })
	return m
}

// redisBenchManager returns a manager whose sessions live in the test run's
// Redis.
func redisBenchManager(b *testing.B) *manager.Manager {
	b.Helper()
	return benchManager(b, redisstore.New(redistest.Client(b), redisstore.WithPrefix(redistest.Prefix())))
}

// sessionkitApp serves the routes of ginContribApp with sessionkit's
// middleware, plus /count, which changes one value, and /profile, which
// stores profile. It is not the tests' app (see serveApp): a benchmark
// measures the middleware, so its handlers do as little as gin-contrib's.
func sessionkitApp(m *manager.Manager) *gin.Engine {
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", func(c *gin.Context) {
		s, err := session.CreateSession(c)
		if err == nil {
			err = s.Set("user", c.Query("user"))
		}
		if err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	r.GET("/get", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			v, _ := s.Get("user")
			c.String(http.StatusOK, "%v", v)
			return
		}
		c.String(http.StatusUnauthorized, "no session")
	})
	r.POST("/count", func(c *gin.Context) {
		s := session.GetSession(c)
		n, _ := s.Get("n")
		i, _ := n.(int)
		_ = s.Set("n", i+1)
		c.String(http.StatusOK, "counted")
	})
	r.POST("/profile", func(c *gin.Context) {
		s := session.GetSession(c)
		for k, v := range profile {
			_ = s.Set(k, v)
		}
		c.String(http.StatusOK, "saved")
	})
	return r
}

// benchRead measures a request that reads one value of its session.
func benchRead(b *testing.B, m *manager.Manager) {
	b.Helper()
	app := sessionkitApp(m)
	serveBench(b, app, benchSession(b, app, http.MethodGet, benchReadTarget))
}

// benchWrite measures a request that changes one value of its session.
func benchWrite(b *testing.B, m *manager.Manager) {
	b.Helper()
	app := sessionkitApp(m)
	serveBench(b, app, benchSession(b, app, http.MethodPost, "/count"))
}

// benchReadProfile measures reading a session that holds profile.
func benchReadProfile(b *testing.B, m *manager.Manager) {
	b.Helper()
	app := sessionkitApp(m)
	req := benchSession(b, app, http.MethodGet, benchReadTarget)
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, withCookiesOf(req, http.MethodPost, "/profile"))
	if rec.Code != http.StatusOK {
		b.Fatalf("profile: status %d", rec.Code)
	}
	serveBench(b, app, req)
}

// profile is what a typical logged-in session holds besides the user name.
var profile = map[string]any{
	"user_id": 4711,
	"roles":   []string{"reader", "editor"},
	"csrf":    "3q2+7wAAAAC6s8nRvw2BxQ",
	"theme":   "dark",
}

// withCookiesOf returns a request to target that carries the cookies of req.
func withCookiesOf(req *http.Request, method, target string) *http.Request {
	next := httptest.NewRequest(method, target, nil)
	for _, ck := range req.Cookies() {
		next.AddCookie(ck)
	}
	return next
}

// ginContribApp serves the login and read routes with a gin-contrib
// store; login also stores extra.
func ginContribApp(st sessions.Store, extra map[string]any) *gin.Engine {
	gob.Register([]string{})
	r := gin.New()
	r.Use(sessions.Sessions(cookieName, st))
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", c.Query("user"))
		for k, v := range extra {
			s.Set(k, v)
		}
		_ = s.Save()
		c.String(http.StatusOK, "ok")
	})
	r.GET("/get", func(c *gin.Context) {
		if v := sessions.Default(c).Get("user"); v != nil {
			c.String(http.StatusOK, "%v", v)
			return
		}
		c.String(http.StatusUnauthorized, "no session")
	})
	return r
}

// ginContribRedis returns gin-contrib's redis store on the test run's Redis.
func ginContribRedis(b *testing.B) ginredis.Store {
	b.Helper()
	o := redistest.Client(b).Options()
	st, err := ginredis.NewStoreWithDB(8, "tcp", o.Addr, o.Username, o.Password, strconv.Itoa(o.DB), carrierKey)
	if err != nil {
		b.Fatal(err)
	}
	if err := ginredis.SetKeyPrefix(st, redistest.Prefix()+":"); err != nil {
		b.Fatal(err)
	}
	return st
}

// benchGinContrib measures a read through gin-contrib/sessions on st, of a
// session that holds extra besides the user name.
func benchGinContrib(b *testing.B, st sessions.Store, extra map[string]any) {
	b.Helper()
	app := ginContribApp(st, extra)
	serveBench(b, app, benchSession(b, app, http.MethodGet, benchReadTarget))
}

func BenchmarkBareGin(b *testing.B) {
	r := gin.New()
	r.GET("/get", func(c *gin.Context) { c.String(http.StatusOK, "ada") })
	serveBench(b, r, httptest.NewRequest(http.MethodGet, benchReadTarget, nil))
}

func BenchmarkSessionkitRead(b *testing.B)        { benchRead(b, benchManager(b, nil)) }
func BenchmarkSessionkitWrite(b *testing.B)       { benchWrite(b, benchManager(b, nil)) }
func BenchmarkSessionkitReadProfile(b *testing.B) { benchReadProfile(b, benchManager(b, nil)) }

func BenchmarkGinContribCookieRead(b *testing.B) {
	benchGinContrib(b, cookie.NewStore(carrierKey), nil)
}
func BenchmarkGinContribCookieReadProfile(b *testing.B) {
	benchGinContrib(b, cookie.NewStore(carrierKey), profile)
}

func BenchmarkSessionkitRedisRead(b *testing.B)        { benchRead(b, redisBenchManager(b)) }
func BenchmarkSessionkitRedisWrite(b *testing.B)       { benchWrite(b, redisBenchManager(b)) }
func BenchmarkSessionkitRedisReadProfile(b *testing.B) { benchReadProfile(b, redisBenchManager(b)) }

func BenchmarkGinContribRedisRead(b *testing.B) { benchGinContrib(b, ginContribRedis(b), nil) }
func BenchmarkGinContribRedisReadProfile(b *testing.B) {
	benchGinContrib(b, ginContribRedis(b), profile)
}
