package session_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store/redisstore"
)

// instance is one application instance: its own manager, router, server
// and Redis client, sharing the Redis of the test run with the others.
type instance struct {
	name    string
	m       *session.Manager
	srv     *httptest.Server
	redis   *redis.Client
	events  *events
	options session.Options
}

// newInstances starts n instances that share one Redis under one prefix and
// one clock, each with its own client (as separate processes would).
func newInstances(t *testing.T, n int, clock *testkit.Clock, newClient func(t testing.TB) *redis.Client) []*instance {
	t.Helper()
	prefix := redistest.Prefix()
	out := make([]*instance, n)
	for i := range out {
		in := &instance{name: fmt.Sprintf("instance %d", i), redis: newClient(t), events: newEvents()}
		in.options = testOptions(clock)
		in.options.Store = redisstore.New(in.redis, redisstore.WithPrefix(prefix))
		in.m = session.NewManager(in.options, nil, in.events.handle)
		t.Cleanup(func() { _ = in.m.Close() })
		in.srv = httptest.NewServer(instanceRouter(in.m))
		t.Cleanup(in.srv.Close)
		out[i] = in
	}
	return out
}

// instanceRouter serves the tests' app (see newApp) plus a route that
// reads one value: 401 without a session, else the value of key as text.
func instanceRouter(m *session.Manager) *gin.Engine {
	r := newApp(m, nil)
	r.GET("/get/:key", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusUnauthorized, "no session")
			return
		}
		value, _ := s.Get(c.Param("key"))
		v, _ := value.(string)
		c.String(http.StatusOK, v)
	})
	return r
}

// browser sends requests to any instance with one session cookie, as a
// browser behind a load balancer does.
type browser struct {
	t      *testing.T
	name   string
	cookie string // the session ID, "" for none
}

func (b *browser) do(in *instance, method, path string) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, in.srv.URL+path, nil)
	require.NoError(b.t, err)
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: b.name, Value: b.cookie})
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == b.name {
			b.cookie = c.Value
			if c.MaxAge < 0 {
				b.cookie = ""
			}
		}
	}
	body := new(strings.Builder)
	_, err = io.Copy(body, res.Body)
	require.NoError(b.t, err)
	return res.StatusCode, body.String()
}

// newBrowser returns a browser of in's cookie: instances keep the default
// cookie name.
func newBrowser(t *testing.T, in *instance) *browser {
	return &browser{t: t, name: session.DefaultKey}
}

// TestRedisInstancesShareSessions: a session made on one instance is read
// and changed on the others, concurrent changes of different keys on
// different instances all survive, and every instance counts the same.
func TestRedisInstancesShareSessions(t *testing.T) {
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	ins := newInstances(t, 3, clock, redistest.Client)
	ada := newBrowser(t, ins[0])
	code, _ := ada.do(ins[0], http.MethodPost, "/login")
	require.Equal(t, http.StatusOK, code)
	require.NotEmpty(t, ada.cookie)

	for _, in := range ins {
		code, body := ada.do(in, http.MethodGet, "/get/key")
		assert.Equal(t, http.StatusOK, code, in.name)
		assert.Equal(t, "login", body, in.name)
	}
	code, _ = ada.do(ins[1], http.MethodPost, "/set/theme/dark")
	require.Equal(t, http.StatusOK, code)
	_, body := ada.do(ins[2], http.MethodGet, "/get/theme")
	assert.Equal(t, "dark", body, "a change on one instance is seen on another")

	// Many keys set at once, each through another instance: per-key writes
	// mean none is lost.
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			b := &browser{t: t, name: ada.name, cookie: ada.cookie}
			code, _ := b.do(ins[i%3], http.MethodPost, fmt.Sprintf("/set/k%d/v%d", i, i))
			assert.Equal(t, http.StatusOK, code)
		})
	}
	wg.Wait()
	for i := range 30 {
		_, body := ada.do(ins[(i+1)%3], http.MethodGet, fmt.Sprintf("/get/k%d", i))
		assert.Equal(t, fmt.Sprintf("v%d", i), body, "key k%d", i)
	}

	bob := newBrowser(t, ins[2])
	bob.do(ins[2], http.MethodPost, "/login")
	for _, in := range ins {
		_, body := ada.do(in, http.MethodGet, "/size")
		assert.Equal(t, "2", body, "count on %s", in.name)
	}
	created := []int{ins[0].events.count(session.Created), ins[1].events.count(session.Created), ins[2].events.count(session.Created)}
	assert.Equal(t, []int{1, 0, 1}, created, "Created fires on the instance that made the session")
}

// TestRedisInstancesDestroyExactlyOnce: N sessions expire while three
// instances sweep and look them up at once; exactly N Destroyed events fire
// in total, one per session.
func TestRedisInstancesDestroyExactlyOnce(t *testing.T) {
	const n = 300
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	ins := newInstances(t, 3, clock, redistest.Client)
	browsers := make([]*browser, n)
	for i := range browsers {
		browsers[i] = newBrowser(t, ins[i%3])
		code, _ := browsers[i].do(ins[i%3], http.MethodPost, "/login")
		require.Equal(t, http.StatusOK, code)
	}
	_, body := browsers[0].do(ins[1], http.MethodGet, "/size")
	require.Equal(t, fmt.Sprint(n), body)

	clock.Advance(time.Duration(ins[0].options.MaxInactiveInterval+1) * time.Second)
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			_, err := in.m.Sweep(t.Context())
			assert.NoError(t, err)
		})
		wg.Go(func() {
			// Lookups of expired sessions claim them too.
			for i := range n / 3 {
				b := &browser{t: t, name: browsers[i].name, cookie: browsers[i].cookie}
				code, _ := b.do(in, http.MethodGet, "/get/key")
				assert.Equal(t, http.StatusUnauthorized, code)
			}
		})
	}
	wg.Wait()

	destroyed := map[string]int{}
	total := 0
	for _, in := range ins {
		total += in.events.count(session.Destroyed)
		in.events.mu.Lock()
		for mask, k := range in.events.destroyedByMask {
			destroyed[mask] += k
		}
		in.events.mu.Unlock()
	}
	assert.Equal(t, n, total, "Destroyed events across all instances")
	assert.Len(t, destroyed, n, "one per session")
	for mask, k := range destroyed {
		assert.Equal(t, 1, k, "session %s", mask)
	}
	for _, in := range ins {
		_, body := browsers[0].do(in, http.MethodGet, "/size")
		assert.Equal(t, "0", body, "count on %s", in.name)
	}
}

// TestRedisInstancesRenewal: renewal on one instance kills the old ID on all
// of them at once, and the new ID works everywhere.
func TestRedisInstancesRenewal(t *testing.T) {
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	ins := newInstances(t, 3, clock, redistest.Client)
	ada := newBrowser(t, ins[0])
	ada.do(ins[0], http.MethodPost, "/login")
	old := &browser{t: t, name: ada.name, cookie: ada.cookie}

	code, _ := ada.do(ins[1], http.MethodPost, "/renew")
	require.Equal(t, http.StatusOK, code)
	require.NotEqual(t, old.cookie, ada.cookie)
	for _, in := range ins {
		code, _ := old.do(in, http.MethodGet, "/get/key")
		assert.Equal(t, http.StatusUnauthorized, code, "old ID on %s", in.name)
		code, body := ada.do(in, http.MethodGet, "/get/key")
		assert.Equal(t, http.StatusOK, code, "new ID on %s", in.name)
		assert.Equal(t, "login", body)
	}

	code, _ = ada.do(ins[2], http.MethodPost, "/destroy")
	require.Equal(t, http.StatusOK, code)
	for _, in := range ins {
		b := &browser{t: t, name: ada.name, cookie: ada.cookie}
		code, _ := b.do(in, http.MethodGet, "/get/key")
		assert.Equal(t, http.StatusUnauthorized, code)
	}
}

// TestRedisRoundTripsPerRequest pins what the README promises: a request
// that only reads its session costs one Redis round trip and one that writes
// costs two. A login costs two as well: the create, then the commit of the
// values set after it.
func TestRedisRoundTripsPerRequest(t *testing.T) {
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	trips := &redistest.RoundTrips{}
	ins := newInstances(t, 1, clock, func(t testing.TB) *redis.Client {
		c := redistest.Client(t)
		c.AddHook(trips)
		return c
	})
	in := ins[0]
	warm := newBrowser(t, in) // the first use of each script loads it
	warm.do(in, http.MethodPost, "/login")
	warm.do(in, http.MethodGet, "/get/key")
	warm.do(in, http.MethodPost, "/set/a/b")

	ada := newBrowser(t, in)
	tests := []struct {
		name, method, path string
		want               int64
	}{
		{"login: create, then commit", http.MethodPost, "/login", 2},
		{"read-only", http.MethodGet, "/get/key", 1},
		{"write: load, then commit", http.MethodPost, "/set/theme/dark", 2},
		{"count: load, then ZCARD", http.MethodGet, "/size", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			got := trips.During(func() { code, _ = ada.do(in, tc.method, tc.path) })
			require.Equal(t, http.StatusOK, code)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestRedisSetRefusesWhatCannotBeStored checks that a value the Redis store
// cannot encode is refused by Set, at once and with an error naming its
// key, and that the session keeps its other values.
func TestRedisSetRefusesWhatCannotBeStored(t *testing.T) {
	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	in := newInstances(t, 1, clock, redistest.Client)[0]
	b := newBrowser(t, in)
	b.do(in, http.MethodPost, "/login")

	s := in.m.GetSessionById(b.cookie)
	require.NotNil(t, s)
	type unregistered struct{ A int }
	for name, v := range map[string]any{
		"channel":      make(chan int),
		"unregistered": unregistered{A: 1},
		"over 64 KiB":  strings.Repeat("x", 64<<10+1),
		"function":     func() {},
	} {
		err := s.Set("cart", v)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), `"cart"`, name)
		assert.NotContains(t, err.Error(), b.cookie, name)
	}
	_, body := b.do(in, http.MethodGet, "/get/key")
	assert.Equal(t, "login", body)
	v, ok := s.Get("cart")
	assert.False(t, ok, "a refused value is not kept: %v", v)
}
