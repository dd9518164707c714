package session_test

import (
	"strconv"
	"testing"

	ginredis "github.com/gin-contrib/sessions/redis"

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
	benchReadProfile(b, redisBenchManager(b))
}

func BenchmarkSessionkitRedisWrite(b *testing.B) {
	benchWrite(b, redisBenchManager(b))
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
