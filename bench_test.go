package session_test

import (
	"encoding/gob"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
)

// These benchmarks compare one request's cost with a bare Gin handler and
// with gin-contrib/sessions on the same machine in the same run; quote their
// ratios, not their absolute times. Run them with:
//
//	go test -run '^$' -bench . -benchmem -count 6 . | tee bench.txt
//	benchstat bench.txt

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

// benchSession creates a session with one value through h and returns the
// request that reads it back.
func benchSession(b *testing.B, h http.Handler, path string) *http.Request {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
	if rec.Code != http.StatusOK || len(rec.Result().Cookies()) == 0 {
		b.Fatalf("login: status %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, ck := range rec.Result().Cookies() {
		req.AddCookie(ck)
	}
	return req
}

func BenchmarkBareGin(b *testing.B) {
	r := gin.New()
	r.GET("/private", func(c *gin.Context) { c.String(http.StatusOK, "hello login") })
	serveBench(b, r, httptest.NewRequest(http.MethodGet, "/private", nil))
}

func BenchmarkSessionkitRead(b *testing.B) {
	m := session.NewManager(session.Options{Logger: discardLogger}, nil, nil)
	b.Cleanup(func() { _ = m.Close() })
	app := newApp(m, nil)
	serveBench(b, app, benchSession(b, app, "/private"))
}

func BenchmarkSessionkitWrite(b *testing.B) {
	m := session.NewManager(session.Options{Logger: discardLogger}, nil, nil)
	b.Cleanup(func() { _ = m.Close() })
	benchWrite(b, m)
}

// benchWrite measures a request that changes one value of its session.
func benchWrite(b *testing.B, m *session.Manager) {
	b.Helper()
	app := newApp(m, nil)
	app.GET("/count", func(c *gin.Context) {
		s := session.GetSession(c)
		n, _ := s.Get("n")
		i, _ := n.(int)
		_ = s.Set("n", i+1)
		c.String(http.StatusOK, "counted")
	})
	serveBench(b, app, benchSession(b, app, "/count"))
}

// profile is what a typical logged-in session holds besides the user name.
var profile = map[string]any{
	"user_id": 4711,
	"roles":   []string{"reader", "editor"},
	"csrf":    "3q2+7wAAAAC6s8nRvw2BxQ",
	"theme":   "dark",
}

func BenchmarkSessionkitReadProfile(b *testing.B) {
	m := session.NewManager(session.Options{Logger: discardLogger}, nil, nil)
	b.Cleanup(func() { _ = m.Close() })
	benchReadProfile(b, m)
}

// benchReadProfile measures reading a session that holds profile through m.
func benchReadProfile(b *testing.B, m *session.Manager) {
	b.Helper()
	app := newApp(m, nil)
	app.POST("/profile", func(c *gin.Context) {
		s := session.GetSession(c)
		for k, v := range profile {
			_ = s.Set(k, v)
		}
		c.String(http.StatusOK, "saved")
	})
	req := benchSession(b, app, "/private")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, withCookiesOf(req, http.MethodPost, "/profile"))
	serveBench(b, app, req)
}

func BenchmarkGinContribCookieRead(b *testing.B) {
	app := ginContribApp(cookie.NewStore(carrierKey), nil)
	serveBench(b, app, benchSession(b, app, "/private"))
}

func BenchmarkGinContribCookieReadProfile(b *testing.B) {
	app := ginContribApp(cookie.NewStore(carrierKey), profile)
	serveBench(b, app, benchSession(b, app, "/private"))
}

// withCookiesOf returns a request to path that carries the cookies of req.
func withCookiesOf(req *http.Request, method, path string) *http.Request {
	next := httptest.NewRequest(method, path, nil)
	for _, ck := range req.Cookies() {
		next.AddCookie(ck)
	}
	return next
}

// ginContribApp serves the login and private routes with a gin-contrib
// store; login also stores extra.
func ginContribApp(st sessions.Store, extra map[string]any) *gin.Engine {
	gob.Register([]string{})
	r := gin.New()
	r.Use(sessions.Sessions(session.DefaultKey, st))
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("key", "login")
		for k, v := range extra {
			s.Set(k, v)
		}
		_ = s.Save()
		c.String(http.StatusOK, "logged in")
	})
	r.GET("/private", func(c *gin.Context) {
		if v := sessions.Default(c).Get("key"); v != nil {
			c.String(http.StatusOK, "hello %v", v)
			return
		}
		c.String(http.StatusForbidden, "forbidden")
	})
	return r
}
