package e2e_test

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
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// carrierKey signs the gin-contrib carriers' cookies.
var carrierKey = []byte("a 32-byte key for signing tests!")

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
// Redis, its records under prefix, signed with key. It is always the single
// server: gin-contrib's store (redigo) dials one address and knows neither
// Sentinel nor Cluster, so the carrier tests stay on one server.
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

// recordTTL returns the time to live of the carrier record that cookie
// leads to: the store decodes the cookie into the record's key.
func (c *redisCarrier) recordTTL(t *testing.T, cookie string) time.Duration {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
	s, err := c.store.New(r, cookieName)
	require.NoError(t, err)
	require.False(t, s.IsNew, "the cookie leads to no record")
	ttl, err := c.redis.PTTL(t.Context(), c.prefix+":"+s.ID).Result()
	require.NoError(t, err)
	return ttl
}

// withCookie returns a browser that holds value as its session cookie.
func withCookie(value string) *browser {
	b := &browser{name: cookieName}
	b.cookie.store(value)
	return b
}

// fields returns the words of a /whoami answer: the masked ID, then the
// creation time and values.
func fields(rec *httptest.ResponseRecorder) []string { return strings.Fields(body(rec)) }

func TestGinContribRedisCarrier(t *testing.T) {
	newCarrierEnv := func(t *testing.T) (*env, *redisCarrier, http.Handler) {
		t.Helper()
		e := newEnv(t, store.NewMemory())
		carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
		return e, carrier, ginApp(e.m, carrier.store)
	}

	t.Run("create, then read back", func(t *testing.T) {
		e, carrier, app := newCarrierEnv(t)
		browser := e.newBrowser()
		e.login(t, app, browser)
		assert.Equal(t, 1, carrier.records(t), "the carrier keeps the ID in Redis")

		browser.send(app, http.MethodPost, "/set?k=theme&v=dark")
		who := body(browser.send(app, http.MethodGet, "/whoami"))
		assert.True(t, strings.HasSuffix(who, "keys=theme=dark,user=ada"), who)
		assert.Equal(t, 1, e.m.GetSessionSize())
	})

	t.Run("renewal kills the old cookie", func(t *testing.T) {
		e, carrier, app := newCarrierEnv(t)
		browser := e.newBrowser()
		e.login(t, app, browser)
		before := fields(browser.send(app, http.MethodGet, "/whoami"))
		old := browser.clone()

		require.Equal(t, http.StatusOK, browser.send(app, http.MethodPost, "/renew").Code)
		assert.NotEqual(t, old.cookie.load(), browser.cookie.load())
		after := fields(browser.send(app, http.MethodGet, "/whoami"))
		assert.Equal(t, before[1:], after[1:], "same creation time and values")
		assert.NotEqual(t, before[0], after[0], "new masked ID")
		assert.Equal(t, 1, carrier.records(t), "the old carrier record is deleted")

		assert.Equal(t, "none", body(old.clone().send(app, http.MethodGet, "/whoami")), "the old cookie finds nothing")
		assert.Equal(t, statusNoSession, old.send(app, http.MethodPost, "/renew").Code, "the old cookie cannot renew")
		assert.Equal(t, 1, e.m.GetSessionSize())
	})

	t.Run("logout", func(t *testing.T) {
		e, carrier, app := newCarrierEnv(t)
		browser := e.newBrowser()
		e.login(t, app, browser)
		loggedIn := browser.clone()

		require.Equal(t, http.StatusOK, browser.send(app, http.MethodPost, "/logout").Code)
		assert.Empty(t, browser.cookie.load(), "the cookie is expired")
		assert.Equal(t, "none", body(browser.send(app, http.MethodGet, "/whoami")))
		assert.Equal(t, "none", body(loggedIn.send(app, http.MethodGet, "/whoami")), "the old cookie finds nothing")
		assert.Zero(t, e.m.GetSessionSize())
		assert.Zero(t, carrier.records(t), "the carrier record is deleted")
	})

	t.Run("bad cookies", func(t *testing.T) {
		counting := testkit.NewFaultyStore()
		e := newEnv(t, counting)
		carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
		app := ginApp(e.m, carrier.store)
		browser := e.newBrowser()
		e.login(t, app, browser)
		signed := browser.cookie.load()

		// A cookie of the same store whose record is gone: signed, but it
		// leads nowhere.
		orphan := e.newBrowser()
		e.login(t, app, orphan)
		orphaned := orphan.cookie.load()
		orphan.send(app, http.MethodPost, "/logout")

		// A cookie of another application's store, signed with its key.
		elsewhere := e.newBrowser()
		e.login(t, ginApp(e.m, newRedisCarrier(t, carrier.prefix, []byte("another key, another application")).store), elsewhere)

		for name, value := range map[string]string{
			"cut short":           signed[:len(signed)-1],
			"one character":       signed[:10] + flip(signed[10]) + signed[11:],
			"prefix replaced":     "MTIz" + signed[4:],
			"not base64":          strings.Repeat("*", 40),
			"record gone":         orphaned,
			"signed elsewhere":    elsewhere.cookie.load(),
			"a bare session ID":   strings.Repeat("A", 43),
			"over the size limit": strings.Repeat("A", 5000),
		} {
			t.Run(name, func(t *testing.T) {
				require.NotEmpty(t, value)
				before := counting.Loads()
				rec := withCookie(value).send(app, http.MethodGet, "/whoami")
				assert.Equal(t, http.StatusOK, rec.Code, "no 500")
				assert.Equal(t, "none", body(rec))
				assert.Equal(t, before, counting.Loads(), "the session store was asked")
			})
		}
		assert.NotEqual(t, "none", body(browser.send(app, http.MethodGet, "/whoami")), "the genuine cookie still works")
	})
}

// flip returns a different base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestGinContribRedisCarrierOverRedisStore runs two instances with
// everything in Redis: the gin-contrib redis store carries the ID, the
// Redis store keeps the session. One browser talks to both. The Redis
// store runs on every topology; the carrier stays on the single server:
// gin-contrib's store (redigo) dials one address and knows neither
// Sentinel nor Cluster.
func TestGinContribRedisCarrierOverRedisStore(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		ins := newInstances(t, 2, sharedRedis(tp.Client))
		carrierPrefix := redistest.Prefix()
		apps := make([]http.Handler, len(ins))
		for i, in := range ins {
			apps[i] = ginApp(in.m, newRedisCarrier(t, carrierPrefix, carrierKey).store)
		}
		first, second := apps[0], apps[1]
		browser := ins[0].newBrowser()

		ins[0].login(t, first, browser)
		require.Equal(t, http.StatusOK, browser.send(second, http.MethodPost, "/set?k=theme&v=dark").Code, "the second instance finds the session")
		who := body(browser.send(first, http.MethodGet, "/whoami"))
		assert.True(t, strings.HasSuffix(who, "keys=theme=dark,user=ada"), who)
		assert.Equal(t, 1, ins[1].m.GetSessionSize())

		old := browser.clone()
		require.Equal(t, http.StatusOK, browser.send(second, http.MethodPost, "/renew").Code)
		assert.Equal(t, "none", body(old.send(first, http.MethodGet, "/whoami")), "the old cookie is dead on the other instance")
		who = body(browser.send(first, http.MethodGet, "/whoami"))
		assert.True(t, strings.HasSuffix(who, "keys=theme=dark,user=ada"), who)

		renewed := browser.clone()
		require.Equal(t, http.StatusOK, browser.send(first, http.MethodPost, "/logout").Code)
		assert.Equal(t, "none", body(browser.send(second, http.MethodGet, "/whoami")), "logout on one instance ends the session on both")
		assert.Equal(t, "none", body(renewed.send(second, http.MethodGet, "/whoami")), "a copy of the last cookie finds nothing")
		assert.Zero(t, ins[0].m.GetSessionSize())
		assert.Zero(t, ins[1].m.GetSessionSize())
		created, destroyed := ins[0].ledger.totals()
		assert.Equal(t, 1, created)
		assert.Equal(t, 1, destroyed, "Destroyed fires once across both instances")
	})
}

// TestGinContribRedisCarrierDown checks that a carrier whose Redis is down
// fails closed: the request is answered 503 through the ErrorHandler, not
// served as if the user had no session. It stays on a single server: the
// Redis that goes down is the carrier's, and gin-contrib's store dials one
// address only (the session store here is the memory store).
func TestGinContribRedisCarrierDown(t *testing.T) {
	server := redistest.Start(t)
	st, err := ginredis.NewStore(4, "tcp", server.Addr, "", "", carrierKey)
	require.NoError(t, err)
	rs, err := ginredis.GetRedisStore(st)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Close() })

	e := newEnv(t, store.NewMemory())
	app := ginApp(e.m, st)
	browser := e.newBrowser()
	e.login(t, app, browser)
	cookie := browser.cookie.load()

	server.Stop(t)
	rec := browser.send(app, http.MethodGet, "/whoami")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "a carrier that cannot look fails closed")
	assert.Equal(t, http.StatusText(http.StatusServiceUnavailable)+"\n", rec.Body.String())
	assert.Equal(t, cookie, browser.cookie.load(), "the cookie is left alone")

	assert.Equal(t, "none", body(withCookie("not a signed cookie").send(app, http.MethodGet, "/whoami")),
		"a cookie that does not decode is still just no session")
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
	e := newEnv(t, store.NewMemory(), func(o *manager.Options) { o.MaxAge, o.MaxInactiveInterval = 600, 500 })
	carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
	app := ginApp(e.m, carrier.store)

	browsers := make([]*browser, created)
	for i := range browsers {
		browsers[i] = e.newBrowser()
		e.login(t, app, browsers[i])
	}
	require.Equal(t, created, carrier.records(t))

	// Half-way through their lives, every session ends or changes its ID one
	// way or another, or is left alone.
	e.clock.Advance(300 * time.Second)
	const (
		logout = iota
		renewal
		replacement
		leftAlone
		ways
	)
	for i, b := range browsers {
		var rec *httptest.ResponseRecorder
		switch i % ways {
		case logout:
			rec = b.send(app, http.MethodPost, "/logout")
		case renewal:
			rec = b.send(app, http.MethodPost, "/renew")
		case replacement:
			rec = b.send(app, http.MethodPost, "/login?user=bob")
		default:
			rec = b.send(app, http.MethodGet, "/whoami")
		}
		require.Equal(t, http.StatusOK, rec.Code)
	}
	live := e.m.GetSessionSize()
	assert.Equal(t, created/ways*3, live)
	assert.Equal(t, live, carrier.records(t), "one carrier record per live session")

	// Each record left expires in Redis by its session's absolute deadline:
	// a renewed session keeps its deadline, 300 s away; a replacement starts
	// a new life of 600 s; one left alone was written 600 s before its end
	// (Redis counts on its own clock, which did not move with the test's).
	for i, b := range browsers {
		if i%ways == logout {
			continue
		}
		limit := 600 * time.Second
		if i%ways == renewal {
			limit = 300 * time.Second
		}
		ttl := carrier.recordTTL(t, b.cookie.load())
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
	e := newEnv(t, store.NewMemory(), func(o *manager.Options) { o.MaxAge = -1 })
	carrier := newRedisCarrier(t, redistest.Prefix(), carrierKey)
	assert.PanicsWithError(t, want, func() { session.UseManager(e.m, carrier.store) })
	assert.PanicsWithError(t, want, func() { session.UseSession(session.Options{MaxAge: -1}, carrier.store, nil) })
}
