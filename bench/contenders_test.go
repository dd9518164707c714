package bench

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	contribmemstore "github.com/gin-contrib/sessions/memstore"
	contribredis "github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"
	redigo "github.com/gomodule/redigo/redis"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/store"
	sessionredis "github.com/sessionkit/session/store/redisstore"
)

// Every contender serves the same three routes, so that what differs between
// them is the session layer alone:
//
//	POST /login    starts a session holding key = "login" (one short string)
//	GET  /private  reads key and answers "hello login" (a read)
//	GET  /count    reads the integer n and stores n+1 (a write)
const (
	pathLogin   = "/login"
	pathPrivate = "/private"
	pathCount   = "/count"
	loginValue  = "login"
	readBody    = "hello " + loginValue
)

// signingKey signs the cookies of the gin-contrib stores (securecookie).
var signingKey = []byte("a 32-byte key for signing tests!")

// cookieName is the cookie that carries the session for sessionkit and
// gin-contrib; scs keeps its own default name.
const cookieName = session.DefaultKey

// discardLogger keeps sessionkit's startup warnings out of benchmark output.
var discardLogger = slog.New(slog.DiscardHandler)

func init() {
	gin.SetMode(gin.ReleaseMode)
}

// contender is one session layer under test.
type contender struct {
	// name is the contender's part of the benchmark names.
	name string
	// app builds the contender's handler of the three routes. Everything it
	// starts ends when b does.
	app func(b *testing.B) http.Handler
}

// contenders are the session layers that BenchmarkServe compares with bare
// Gin, in the order the results are printed.
var contenders = []contender{
	{"sessionkit-memory", sessionkitMemory},
	{"sessionkit-contrib-cookie", sessionkitContribCookie},
	{"sessionkit-redis", sessionkitRedis},
	{"sessionkit-postgres", sessionkitPostgres},
	{"gin-contrib-cookie", func(b *testing.B) http.Handler { return contribApp(cookie.NewStore(signingKey)) }},
	{"gin-contrib-memstore", func(b *testing.B) http.Handler { return contribApp(contribmemstore.NewStore(signingKey)) }},
	{"gin-contrib-redis", contribRedis},
	{"scs-memstore", scsMemstore},
	{"scs-redisstore", scsRedisstore},
	{"scs-postgresstore", scsPostgresstore},
}

// bareGin is the floor every contender is divided by: the read route
// without any session. It formats the same answer from a value it holds
// (as every contender's read route formats the one it read), so that what a
// ratio counts over 1.00 is the session layer alone, not fmt.
func bareGin() http.Handler {
	r := gin.New()
	var held any = loginValue
	r.GET(pathPrivate, func(c *gin.Context) { c.String(http.StatusOK, "hello %v", held) })
	return r
}

// sessionkitOptions are the options of every sessionkit contender: the
// defaults, with log lines discarded.
func sessionkitOptions() session.Options {
	return session.Options{Logger: discardLogger}
}

// sessionkitApp serves the routes with m, the session ID travelling in
// carrier (nil: sessionkit's built-in cookie).
func sessionkitApp(m *session.Manager, carrier sessions.Store) *gin.Engine {
	r := gin.New()
	r.Use(session.UseManager(m, carrier))
	r.POST(pathLogin, func(c *gin.Context) {
		s, err := session.CreateSession(c)
		if err != nil || s.Set("key", loginValue) != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.String(http.StatusOK, "logged in")
	})
	r.GET(pathPrivate, func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			if v, ok := s.Get("key"); ok {
				c.String(http.StatusOK, "hello %v", v)
				return
			}
		}
		c.String(http.StatusForbidden, "forbidden")
	})
	r.GET(pathCount, func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusForbidden, "forbidden")
			return
		}
		v, _ := s.Get("n")
		n, _ := v.(int)
		if err := s.Set("n", n+1); err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.String(http.StatusOK, "%d", n+1)
	})
	return r
}

// newSessionkitManager returns a manager with opts, closed when b ends.
func newSessionkitManager(b *testing.B, opts session.Options) *session.Manager {
	b.Helper()
	m := session.NewManager(opts, nil, nil)
	b.Cleanup(func() { _ = m.Close() })
	return m
}

func sessionkitMemory(b *testing.B) http.Handler {
	return sessionkitApp(newSessionkitManager(b, sessionkitOptions()), nil)
}

// sessionkitContribCookie carries the session ID in gin-contrib's signed
// cookie store instead of sessionkit's own cookie; the session stays in
// sessionkit's memory store.
func sessionkitContribCookie(b *testing.B) http.Handler {
	return sessionkitApp(newSessionkitManager(b, sessionkitOptions()), cookie.NewStore(signingKey))
}

func sessionkitRedis(b *testing.B) http.Handler {
	client := redisClient(b)
	var st store.Store = sessionredis.New(client, sessionredis.WithPrefix(keyPrefix()))
	b.Cleanup(func() { _ = st.Close() })
	opts := sessionkitOptions()
	opts.Store = st
	return sessionkitApp(newSessionkitManager(b, opts), nil)
}

// contribApp serves the routes with a gin-contrib/sessions store.
func contribApp(st sessions.Store) http.Handler {
	r := gin.New()
	r.Use(sessions.Sessions(cookieName, st))
	r.POST(pathLogin, func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("key", loginValue)
		if err := s.Save(); err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.String(http.StatusOK, "logged in")
	})
	r.GET(pathPrivate, func(c *gin.Context) {
		if v := sessions.Default(c).Get("key"); v != nil {
			c.String(http.StatusOK, "hello %v", v)
			return
		}
		c.String(http.StatusForbidden, "forbidden")
	})
	r.GET(pathCount, func(c *gin.Context) {
		s := sessions.Default(c)
		if s.Get("key") == nil {
			c.String(http.StatusForbidden, "forbidden")
			return
		}
		n, _ := s.Get("n").(int)
		s.Set("n", n+1)
		if err := s.Save(); err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.String(http.StatusOK, "%d", n+1)
	})
	return r
}

// contribRedis is gin-contrib's redis store (boj/redistore: gob over a
// redigo pool) on the run's Redis.
func contribRedis(b *testing.B) http.Handler {
	o := redisOptions(b)
	st, err := contribredis.NewStoreWithDB(10, "tcp", o.Addr, o.Username, o.Password, strconv.Itoa(o.DB), signingKey)
	if err != nil {
		b.Fatal(err)
	}
	if err := contribredis.SetKeyPrefix(st, keyPrefix()+":"); err != nil {
		b.Fatal(err)
	}
	if rs, err := contribredis.GetRedisStore(st); err == nil {
		b.Cleanup(func() { _ = rs.Close() })
	}
	return contribApp(st)
}

// scsApp serves the routes with an scs session manager, which wraps the
// Gin engine the way scs is used with any net/http router.
func scsApp(sm *scs.SessionManager) http.Handler {
	r := gin.New()
	r.POST(pathLogin, func(c *gin.Context) {
		sm.Put(c.Request.Context(), "key", loginValue)
		c.String(http.StatusOK, "logged in")
	})
	r.GET(pathPrivate, func(c *gin.Context) {
		if v := sm.GetString(c.Request.Context(), "key"); v != "" {
			c.String(http.StatusOK, "hello %v", v)
			return
		}
		c.String(http.StatusForbidden, "forbidden")
	})
	r.GET(pathCount, func(c *gin.Context) {
		ctx := c.Request.Context()
		if !sm.Exists(ctx, "key") {
			c.String(http.StatusForbidden, "forbidden")
			return
		}
		n := sm.GetInt(ctx, "n")
		sm.Put(ctx, "n", n+1)
		c.String(http.StatusOK, "%d", n+1)
	})
	return sm.LoadAndSave(r)
}

// scsMemstore is scs with its memstore and its default cleanup interval.
func scsMemstore(b *testing.B) http.Handler {
	st := memstore.New()
	b.Cleanup(st.StopCleanup)
	sm := scs.New()
	sm.Store = st
	return scsApp(sm)
}

// scsRedisstore is scs's redisstore (redigo) on the run's Redis.
func scsRedisstore(b *testing.B) http.Handler {
	o := redisOptions(b)
	pool := &redigo.Pool{
		MaxIdle:     10,
		IdleTimeout: time.Minute,
		Dial: func() (redigo.Conn, error) {
			return redigo.DialContext(context.Background(), "tcp", o.Addr,
				redigo.DialUsername(o.Username), redigo.DialPassword(o.Password), redigo.DialDatabase(o.DB))
		},
	}
	b.Cleanup(func() { _ = pool.Close() })
	sm := scs.New()
	sm.Store = redisstore.NewWithPrefix(pool, keyPrefix()+":")
	return scsApp(sm)
}
