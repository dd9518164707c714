package session_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	ginredis "github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store/redisstore"
)

// The Redis benchmarks compare sessionkit's Redis store with gin-contrib's
// redis store (boj/redistore: gob over redigo) against the same private
// redis-server, so that the ratio, not the loopback latency, is the result.

// redisBenchManager returns a manager whose sessions live in the test run's
// Redis.
func redisBenchManager(b *testing.B) *session.Manager {
	b.Helper()
	st := redisstore.New(redistest.Client(b), redisstore.WithPrefix(redistest.Prefix()))
	m := session.NewManager(session.Options{Logger: discardLogger, Store: st}, nil, nil)
	b.Cleanup(func() { _ = m.Close() })
	return m
}

func BenchmarkSessionkitRedisRead(b *testing.B) {
	app := newApp(redisBenchManager(b), nil)
	serveBench(b, app, benchSession(b, app, "/private"))
}

func BenchmarkSessionkitRedisReadProfile(b *testing.B) {
	app := newApp(redisBenchManager(b), nil)
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

func BenchmarkSessionkitRedisWrite(b *testing.B) {
	app := newApp(redisBenchManager(b), nil)
	app.GET("/count", func(c *gin.Context) {
		s := session.GetSession(c)
		n, _ := s.Get("n")
		i, _ := n.(int)
		_ = s.Set("n", i+1)
		c.String(http.StatusOK, "counted")
	})
	serveBench(b, app, benchSession(b, app, "/count"))
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

func BenchmarkGinContribRedisRead(b *testing.B) {
	app := ginContribApp(ginContribRedis(b), nil)
	serveBench(b, app, benchSession(b, app, "/private"))
}

func BenchmarkGinContribRedisReadProfile(b *testing.B) {
	app := ginContribApp(ginContribRedis(b), profile)
	serveBench(b, app, benchSession(b, app, "/private"))
}
