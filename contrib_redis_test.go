package session_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	ginredis "github.com/gin-contrib/sessions/redis"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store/redisstore"
)

// redisCarrier is gin-contrib's redis store (boj/redistore over redigo) used
// as a carrier: its cookie holds a signed key of a Redis record, and that
// record holds the session ID. The store is a field, not embedded, so that
// the middleware is given gin-contrib's own type, which it recognises.
type redisCarrier struct {
	store  sessions.Store
	redis  *redis.Client // a go-redis client of the same server, to look at its records
	prefix string        // the prefix of its record keys
}

// newRedisCarrier returns a gin-contrib redis store over the test run's
// Redis, its records under a prefix no other test uses, signed with key.
func newRedisCarrier(t *testing.T, prefix string, key []byte) *redisCarrier {
	t.Helper()
	client := redistest.Client(t)
	o := client.Options()
	st, err := ginredis.NewStoreWithDB(4, "tcp", o.Addr, o.Username, o.Password, strconv.Itoa(o.DB), key)
	require.NoError(t, err)
	require.NoError(t, ginredis.SetKeyPrefix(st, prefix+":"))
	rs, err := ginredis.GetRedisStore(st)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Close() })
	return &redisCarrier{store: st, redis: client, prefix: prefix}
}

// records returns how many carrier records the store keeps in Redis (a test
// may scan: requests never do).
func (c *redisCarrier) records(t *testing.T) int {
	t.Helper()
	keys, err := c.redis.Keys(t.Context(), c.prefix+":*").Result()
	require.NoError(t, err)
	return len(keys)
}

// redisClock is a test clock at the real time: the Redis store gives its keys
// expiry times on that clock, and Redis expires them on its own.
func redisClock() *testkit.Clock { return testkit.NewClockAt(time.Now().Truncate(time.Second)) }

func TestGinContribRedisCarrier(t *testing.T) {
	newEnv := func(t *testing.T) (*session.Manager, *redisCarrier, *client) {
		t.Helper()
		m := newTestManager(t, testOptions(redisClock()), nil)
		carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
		return m, carrier, newClient(t, newTestServer(t, newApp(m, carrier.store)))
	}

	t.Run("create, then read back", func(t *testing.T) {
		m, carrier, browser := newEnv(t)
		status, _ := browser.post("/create")
		require.Equal(t, http.StatusOK, status)
		require.NotEmpty(t, browser.cookie(session.DefaultKey))
		assert.Equal(t, 1, carrier.records(t), "the carrier keeps the ID in Redis")

		browser.post("/set/user/alice")
		_, body := browser.get("/whoami")
		assert.True(t, strings.HasSuffix(body, "keys=user=alice"), body)
		assert.Equal(t, 1, m.GetSessionSize())
	})

	t.Run("renewal kills the old cookie", func(t *testing.T) {
		m, carrier, browser := newEnv(t)
		browser.post("/create")
		browser.post("/set/user/alice")
		_, before := browser.get("/whoami")
		oldCookie := browser.cookie(session.DefaultKey)

		status, _ := browser.post("/renew")
		require.Equal(t, http.StatusOK, status)
		newCookie := browser.cookie(session.DefaultKey)
		assert.NotEqual(t, oldCookie, newCookie)
		_, after := browser.get("/whoami")
		assert.Equal(t, strings.Fields(before)[1:], strings.Fields(after)[1:], "same creation time and values")
		assert.NotEqual(t, strings.Fields(before)[0], strings.Fields(after)[0], "new masked ID")
		assert.Equal(t, 1, carrier.records(t), "the old carrier record is deleted")

		replay := browser.withCookie(session.DefaultKey, oldCookie)
		_, body := replay.get("/whoami")
		assert.Equal(t, "none", body, "the old cookie finds nothing")
		status, _ = replay.post("/renew")
		assert.Equal(t, http.StatusConflict, status, "the old cookie cannot renew")
		assert.Equal(t, 1, m.GetSessionSize())
	})

	t.Run("logout", func(t *testing.T) {
		m, carrier, browser := newEnv(t)
		browser.post("/create")
		loggedIn := browser.cookie(session.DefaultKey)

		status, _ := browser.post("/destroy")
		require.Equal(t, http.StatusOK, status)
		assert.Empty(t, browser.cookie(session.DefaultKey), "the cookie is expired")
		_, body := browser.get("/whoami")
		assert.Equal(t, "none", body)
		_, body = browser.withCookie(session.DefaultKey, loggedIn).get("/whoami")
		assert.Equal(t, "none", body, "the old cookie finds nothing")
		assert.Zero(t, m.GetSessionSize())
		assert.Zero(t, carrier.records(t), "the carrier record is deleted")
	})

	t.Run("bad cookies", func(t *testing.T) {
		counting := newCountingStore()
		opts := testOptions(redisClock())
		opts.Store = counting
		m := newTestManager(t, opts, nil)
		carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
		browser := newClient(t, newTestServer(t, newApp(m, carrier.store)))
		browser.post("/create")
		signed := browser.cookie(session.DefaultKey)

		// A cookie of the same store whose record is gone: signed, but it
		// leads nowhere.
		orphan := newClient(t, newTestServer(t, newApp(m, carrier.store)))
		orphan.post("/create")
		orphaned := orphan.cookie(session.DefaultKey)
		orphan.post("/destroy")

		// A cookie of another application's store, signed with its key.
		elsewhere := newClient(t, newTestServer(t, newApp(m, newRedisCarrier(t, carrier.prefix, []byte("another key, another application")).store)))
		elsewhere.post("/create")

		for name, value := range map[string]string{
			"cut short":           signed[:len(signed)-1],
			"one character":       signed[:10] + flip(signed[10]) + signed[11:],
			"prefix replaced":     "MTIz" + signed[4:],
			"not base64":          strings.Repeat("*", 40),
			"record gone":         orphaned,
			"signed elsewhere":    elsewhere.cookie(session.DefaultKey),
			"a bare session ID":   encodeID(make([]byte, 32)),
			"over the size limit": strings.Repeat("A", 5000),
		} {
			t.Run(name, func(t *testing.T) {
				require.NotEmpty(t, value)
				before := counting.loads.Load()
				status, body := browser.withCookie(session.DefaultKey, value).get("/whoami")
				assert.Equal(t, http.StatusOK, status, "no 500")
				assert.Equal(t, "none", body)
				assert.Equal(t, before, counting.loads.Load(), "the session store was asked")
			})
		}
		_, body := browser.get("/whoami")
		assert.NotEqual(t, "none", body, "the genuine cookie still works")
	})
}

// TestGinContribRedisCarrierOverRedisStore runs two instances with
// everything in Redis: the gin-contrib redis store carries the ID, the
// Redis store keeps the session. One browser talks to both.
func TestGinContribRedisCarrierOverRedisStore(t *testing.T) {
	clock := redisClock()
	storePrefix, carrierPrefix := redistest.Prefix(), redistest.Prefix()
	evs := newEvents()
	var servers [2]*client
	var managers [2]*session.Manager
	for i := range servers {
		opts := testOptions(clock)
		opts.Store = redisstore.New(redistest.Client(t), redisstore.WithPrefix(storePrefix))
		managers[i] = newTestManager(t, opts, evs.handle)
		srv := newTestServer(t, newApp(managers[i], newRedisCarrier(t, carrierPrefix, carrierKey).store))
		servers[i] = newClient(t, srv)
	}
	first, second := servers[0], servers[1]
	second.http = first.http // one browser: its cookie jar ignores ports

	status, _ := first.post("/create")
	require.Equal(t, http.StatusOK, status)
	status, _ = second.post("/set/user/alice")
	require.Equal(t, http.StatusOK, status, "the second instance finds the session")
	_, body := first.get("/whoami")
	assert.True(t, strings.HasSuffix(body, "keys=user=alice"), body)
	assert.Equal(t, 1, managers[1].GetSessionSize())

	oldCookie := first.cookie(session.DefaultKey)
	status, _ = second.post("/renew")
	require.Equal(t, http.StatusOK, status)
	_, body = first.withCookie(session.DefaultKey, oldCookie).get("/whoami")
	assert.Equal(t, "none", body, "the old cookie is dead on the other instance")
	_, body = first.get("/whoami")
	assert.True(t, strings.HasSuffix(body, "keys=user=alice"), body)

	renewedCookie := first.cookie(session.DefaultKey)
	status, _ = first.post("/destroy")
	require.Equal(t, http.StatusOK, status)
	_, body = second.get("/whoami")
	assert.Equal(t, "none", body, "logout on one instance ends the session on both")
	_, body = second.withCookie(session.DefaultKey, renewedCookie).get("/whoami")
	assert.Equal(t, "none", body, "a copy of the last cookie finds nothing")
	assert.Zero(t, managers[0].GetSessionSize())
	assert.Zero(t, managers[1].GetSessionSize())
	assert.Equal(t, 1, evs.count(session.Created))
	assert.Equal(t, 1, evs.count(session.Destroyed), "Destroyed fires once across both instances")
}

// TestGinContribRedisCarrierDown checks that a carrier whose Redis is down
// fails closed: the request is answered 503 through the ErrorHandler, not
// served as if the user had no session.
func TestGinContribRedisCarrierDown(t *testing.T) {
	server := redistest.Start(t)
	st, err := ginredis.NewStore(4, "tcp", server.Addr, "", "", carrierKey)
	require.NoError(t, err)
	rs, err := ginredis.GetRedisStore(st)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Close() })

	m := newTestManager(t, testOptions(redisClock()), nil)
	browser := newClient(t, newTestServer(t, newApp(m, st)))
	status, _ := browser.post("/create")
	require.Equal(t, http.StatusOK, status)
	cookie := browser.cookie(session.DefaultKey)

	server.Stop(t)
	status, body := browser.get("/whoami")
	assert.Equal(t, http.StatusServiceUnavailable, status, "a carrier that cannot look fails closed")
	assert.Equal(t, http.StatusText(http.StatusServiceUnavailable)+"\n", body)
	assert.Equal(t, cookie, browser.cookie(session.DefaultKey), "the cookie is left alone")

	_, body = browser.withCookie(session.DefaultKey, "not a signed cookie").get("/whoami")
	assert.Equal(t, "none", body, "a cookie that does not decode is still just no session")
}

// recordTTL returns the time to live of the carrier record that cookie
// leads to: the store decodes the cookie into the record's key.
func (c *redisCarrier) recordTTL(t *testing.T, cookie string) time.Duration {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: session.DefaultKey, Value: cookie})
	s, err := c.store.New(r, session.DefaultKey)
	require.NoError(t, err)
	require.False(t, s.IsNew, "the cookie leads to no record")
	ttl, err := c.redis.PTTL(t.Context(), c.prefix+":"+s.ID).Result()
	require.NoError(t, err)
	return ttl
}

// serve sends one request with the session cookie, if any, straight to app
// and returns the status and the session cookie of the response ("" if none).
func serve(t *testing.T, app http.Handler, method, path, cookie string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: session.DefaultKey, Value: cookie})
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == session.DefaultKey {
			return rec.Code, ck.Value
		}
	}
	return rec.Code, ""
}

// Issue 8, defect 11: the gin-contrib redis store keeps a record per carrier
// session. The carrier deletes a session's record when the session ends by
// logout, renewal or replacement, and writes every record with a TTL no
// longer than its session's remaining absolute lifetime, so that Redis
// itself removes the record of a session that expires, with no request and
// no sweeper around: the records never outgrow the sessions of the last
// MaxAge seconds.
func TestGinContribRedisCarrierRecordsBoundedByLiveSessions(t *testing.T) {
	const created = 1000
	clock := redisClock()
	opts := testOptions(clock)
	opts.MaxAge = 600
	opts.MaxInactiveInterval = 500
	m := newTestManager(t, opts, nil)
	carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
	app := newApp(m, carrier.store)

	cookies := make([]string, created)
	for i := range cookies {
		status, ck := serve(t, app, http.MethodPost, "/create", "")
		require.Equal(t, http.StatusOK, status)
		require.NotEmpty(t, ck)
		cookies[i] = ck
	}
	require.Equal(t, created, carrier.records(t))

	// Half-way through their lives, every session ends or changes its ID one
	// way or another, or is left alone.
	clock.Advance(300 * time.Second)
	const (
		logout = iota
		renewal
		replacement
		leftAlone
		ways
	)
	for i, ck := range cookies {
		var status int
		switch i % ways {
		case logout:
			status, _ = serve(t, app, http.MethodPost, "/destroy", ck)
		case renewal:
			status, cookies[i] = serve(t, app, http.MethodPost, "/renew", ck)
		case replacement:
			status, cookies[i] = serve(t, app, http.MethodPost, "/create", ck)
		default:
			status, _ = serve(t, app, http.MethodGet, "/whoami", ck)
		}
		require.Equal(t, http.StatusOK, status)
	}
	live := m.GetSessionSize()
	assert.Equal(t, created/ways*3, live)
	assert.Equal(t, live, carrier.records(t), "one carrier record per live session")

	// Each record left expires in Redis by its session's absolute deadline:
	// a renewed session keeps its deadline, 300 s away; a replacement starts
	// a new life of 600 s; one left alone was written 600 s before its end
	// (Redis counts on its own clock, which did not move with the test's).
	for i, ck := range cookies {
		if i%ways == logout {
			continue
		}
		limit := 600 * time.Second
		if i%ways == renewal {
			limit = 300 * time.Second
		}
		ttl := carrier.recordTTL(t, ck)
		require.Positive(t, ttl, "the record of session %d never expires", i)
		require.LessOrEqual(t, ttl, limit, "the record of session %d outlives its session", i)
	}
}

// The gin-contrib redis store deletes a record saved without a lifetime, so
// it cannot carry the browser-session cookie a negative MaxAge asks for:
// every new session would lose its ID at once. That is refused at startup.
func TestGinContribRedisCarrierRefusesABrowserSessionCookie(t *testing.T) {
	const want = "session: the gin-contrib redis store cannot carry a cookie without Max-Age: it deletes a record saved without a lifetime;" +
		" give Options.MaxAge a positive value, or pass a nil store (the built-in cookie)"
	opts := testOptions(redisClock())
	opts.MaxAge = -1
	carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
	m := newTestManager(t, opts, nil)
	assert.PanicsWithError(t, want, func() { session.UseManager(m, carrier.store) })
	assert.PanicsWithError(t, want, func() { session.UseSession(opts, carrier.store, nil) })
}
