package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

var carrierKey = []byte("a 32-byte key for signing tests!")

// carriers are the ways a session ID can travel: the built-in cookie, a
// signed gin-contrib cookie and a server-side gin-contrib store (see
// newServerSideCarrier).
var carriers = []struct {
	name string
	new  func() sessions.Store
}{
	{"built-in cookie", func() sessions.Store { return nil }},
	{"gin-contrib cookie", func() sessions.Store { return cookie.NewStore(carrierKey) }},
	{"server-side gin-contrib store", newServerSideCarrier},
}

// newApp returns the routes the tests drive, behind UseManager(m, carrier).
func newApp(m *session.Manager, carrier sessions.Store) *gin.Engine {
	r := gin.New()
	r.Use(session.UseManager(m, carrier))
	// The original package's README program, in Gin.
	r.POST("/login", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			var err error
			if s, err = session.CreateSession(c); err != nil {
				session.HandleError(c, err)
				return
			}
		}
		if err := s.Set("key", "login"); err != nil {
			c.String(http.StatusInternalServerError, "set failed")
			return
		}
		c.String(http.StatusOK, "logged in")
	})
	r.GET("/private", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			if v, ok := s.Get("key"); ok {
				c.String(http.StatusOK, "hello %v", v)
				return
			}
		}
		c.String(http.StatusForbidden, "forbidden")
	})
	r.POST("/logout", func(c *gin.Context) {
		if s := session.GetSession(c); s != nil {
			_ = s.Set("key", nil)
		}
		c.String(http.StatusOK, "logged out")
	})
	// Lifecycle and inspection routes.
	r.POST("/create", func(c *gin.Context) {
		if _, err := session.CreateSession(c); err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "created")
	})
	r.POST("/renew", func(c *gin.Context) {
		if _, err := session.RenewSession(c); err != nil {
			c.String(http.StatusConflict, "renew failed")
			return
		}
		c.String(http.StatusOK, "renewed")
	})
	r.POST("/destroy", func(c *gin.Context) {
		if err := session.DestroySession(c); err != nil {
			c.String(http.StatusInternalServerError, "destroy failed")
			return
		}
		c.String(http.StatusOK, "destroyed")
	})
	r.POST("/set/:key/:value", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusNotFound, "no session")
			return
		}
		if err := s.Set(c.Param("key"), c.Param("value")); err != nil {
			c.String(http.StatusInternalServerError, "set failed")
			return
		}
		c.String(http.StatusOK, "set")
	})
	r.GET("/whoami", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusOK, "none")
			return
		}
		c.String(http.StatusOK, "%s created=%d keys=%s", s.GetMaskedSessionId(), s.GetCreationTime(), strings.Join(sessionValues(s), ","))
	})
	r.GET("/size", func(c *gin.Context) {
		c.String(http.StatusOK, "%d", session.GetSessionSize(c))
	})
	return r
}

// sessionValues returns "key=value" for each key of s, sorted by key.
func sessionValues(s session.Session) []string {
	var out []string
	for _, k := range s.Keys() {
		v, _ := s.Get(k)
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	return out
}

// newTestServer serves handler until the test ends.
func newTestServer(t *testing.T, handler http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// newTestManager returns a manager on testOptions that closes with the test.
func newTestManager(t *testing.T, opts session.Options, handler func(session.Session, int)) *session.Manager {
	t.Helper()
	m := session.NewManager(opts, nil, handler)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

func TestOriginalProgramThroughGin(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			opts := testOptions(testkit.NewClock())
			opts.MaxInactiveInterval, opts.MaxAge, opts.HttpOnly = 1800, 84000, true
			ev := newEvents()
			r := gin.New()
			r.Use(session.UseSession(opts, carrier.new(), ev.handle))
			app := newApp(newTestManager(t, opts, nil), nil) // reuse the routes, not their middleware
			for _, route := range app.Routes() {
				r.Handle(route.Method, route.Path, route.HandlerFunc)
			}
			browser := newClient(t, newTestServer(t, r))

			status, _ := browser.get("/private")
			assert.Equal(t, http.StatusForbidden, status, "private before login")

			status, _ = browser.post("/login")
			require.Equal(t, http.StatusOK, status)
			status, body := browser.get("/private")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "hello login", body)

			status, _ = browser.post("/logout")
			require.Equal(t, http.StatusOK, status)
			status, _ = browser.get("/private")
			assert.Equal(t, http.StatusForbidden, status, "private after logout")

			assert.Equal(t, 1, ev.count(session.Created))
			assert.Equal(t, 2, ev.count(session.Update), "set on login, delete on logout")
			assert.Equal(t, 0, ev.count(session.Destroyed))
		})
	}
}

func TestOriginalProgramThroughNetHTTP(t *testing.T) {
	opts := testOptions(testkit.NewClock())
	opts.MaxInactiveInterval, opts.MaxAge, opts.HttpOnly = 1800, 84000, true
	ev := newEvents()
	m := newTestManager(t, opts, ev.handle)

	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		if s == nil {
			var err error
			if s, err = m.CreateSession(r, w); err != nil {
				http.Error(w, "create failed", http.StatusInternalServerError)
				return
			}
		}
		if err := s.Set("key", "login"); err != nil {
			http.Error(w, "set failed", http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		if s := m.GetSession(r); s != nil {
			if _, ok := s.Get("key"); ok {
				fmt.Fprint(w, "private")
				return
			}
		}
		http.Error(w, "forbidden", http.StatusForbidden)
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		if s := m.GetSession(r); s != nil {
			_ = s.Set("key", nil)
		}
	})

	for name, handler := range map[string]http.Handler{
		"without middleware":   mux,
		"with manager.Handler": m.Handler(mux),
	} {
		t.Run(name, func(t *testing.T) {
			browser := newClient(t, newTestServer(t, handler))
			status, _ := browser.get("/private")
			assert.Equal(t, http.StatusForbidden, status)
			status, _ = browser.get("/login")
			require.Equal(t, http.StatusOK, status)
			status, body := browser.get("/private")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "private", body)
			status, _ = browser.get("/logout")
			require.Equal(t, http.StatusOK, status)
			status, _ = browser.get("/private")
			assert.Equal(t, http.StatusForbidden, status)
		})
	}
	assert.Equal(t, 2, ev.count(session.Created))
	assert.Equal(t, 4, ev.count(session.Update))
	assert.Equal(t, 2, m.GetSessionSize(), "logout drops the key, not the session")
}

func TestEventsFireOncePerLifecycleStep(t *testing.T) {
	tests := []struct {
		name string
		// steps drive one browser; clock moves time.
		steps         func(t *testing.T, b *client, clock *testkit.Clock, m *session.Manager)
		wantCreated   int
		wantUpdate    int
		wantDestroyed int
	}{
		{
			name: "changing sets only",
			steps: func(t *testing.T, b *client, _ *testkit.Clock, _ *session.Manager) {
				b.post("/create")
				b.post("/set/a/1") // change
				b.post("/set/a/1") // same value: no event
				b.post("/set/a/2") // change
				b.post("/set/b/x") // change
			},
			wantCreated: 1, wantUpdate: 3,
		},
		{
			name: "destroyed",
			steps: func(t *testing.T, b *client, _ *testkit.Clock, _ *session.Manager) {
				b.post("/create")
				b.post("/destroy")
				b.post("/destroy") // nothing left to destroy
			},
			wantCreated: 1, wantDestroyed: 1,
		},
		{
			name: "expired by idle time",
			steps: func(t *testing.T, b *client, clock *testkit.Clock, m *session.Manager) {
				b.post("/create")
				clock.Advance(61 * time.Second)
				b.get("/whoami")
				b.get("/whoami")
				_, err := m.Sweep(t.Context())
				require.NoError(t, err)
			},
			wantCreated: 1, wantDestroyed: 1,
		},
		{
			name: "expired by MaxAge while in use",
			steps: func(t *testing.T, b *client, clock *testkit.Clock, m *session.Manager) {
				b.post("/create")
				for range 11 { // 11 × 55 s passes MaxAge (600 s), never the idle limit (60 s)
					clock.Advance(55 * time.Second)
					b.get("/whoami")
				}
				_, err := m.Sweep(t.Context())
				require.NoError(t, err)
			},
			wantCreated: 1, wantDestroyed: 1,
		},
		{
			name: "expired and found by the sweeper",
			steps: func(t *testing.T, b *client, clock *testkit.Clock, m *session.Manager) {
				b.post("/create")
				clock.Advance(61 * time.Second)
				n, err := m.Sweep(t.Context())
				require.NoError(t, err)
				assert.Equal(t, 1, n)
				b.get("/whoami") // the lookup finds nothing more to destroy
			},
			wantCreated: 1, wantDestroyed: 1,
		},
		{
			name: "replaced by CreateSession",
			steps: func(t *testing.T, b *client, _ *testkit.Clock, _ *session.Manager) {
				b.post("/create")
				b.post("/create")
			},
			wantCreated: 2, wantDestroyed: 1,
		},
		{
			name: "renewed",
			steps: func(t *testing.T, b *client, _ *testkit.Clock, _ *session.Manager) {
				b.post("/create")
				b.post("/renew")
			},
			wantCreated: 1, wantUpdate: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock, ev := testkit.NewClock(), newEvents()
			m := newTestManager(t, testOptions(clock), ev.handle)
			browser := newClient(t, newTestServer(t, newApp(m, nil)))
			tt.steps(t, browser, clock, m)
			assert.Equal(t, tt.wantCreated, ev.count(session.Created), "Created")
			assert.Equal(t, tt.wantUpdate, ev.count(session.Update), "Update")
			assert.Equal(t, tt.wantDestroyed, ev.count(session.Destroyed), "Destroyed")
			for mask, n := range ev.destroyedByMask {
				assert.Equal(t, 1, n, "Destroyed of session %s", mask)
			}
		})
	}
}

func TestTimeoutsAreEnforcedOnLookupWithGCStopped(t *testing.T) {
	tests := []struct {
		name      string
		every     time.Duration // how often the browser comes back
		times     int
		wantAlive bool
	}{
		{"used within the idle limit", 50 * time.Second, 5, true},
		{"idle past the limit", 61 * time.Second, 1, false},
		{"idle exactly at the limit", 60 * time.Second, 1, false},
		{"active past MaxAge", 50 * time.Second, 12, false},
		{"active until just before MaxAge", 50 * time.Second, 11, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testkit.NewClock()
			m := newTestManager(t, testOptions(clock), nil)
			browser := newClient(t, newTestServer(t, newApp(m, nil)))
			browser.post("/create")
			for range tt.times {
				clock.Advance(tt.every)
				browser.get("/whoami")
			}
			_, body := browser.get("/whoami")
			assert.Equal(t, tt.wantAlive, body != "none", "session alive")
		})
	}
}

func TestGetSessionSizeFollowsCreatesDestroysAndExpiries(t *testing.T) {
	clock := testkit.NewClock()
	m := newTestManager(t, testOptions(clock), nil)
	srv := newTestServer(t, newApp(m, nil))
	size := func() string {
		_, body := newClient(t, srv).get("/size")
		return body
	}

	browsers := make([]*client, 5)
	for i := range browsers {
		browsers[i] = newClient(t, srv)
		browsers[i].post("/create")
	}
	assert.Equal(t, "5", size())

	browsers[0].post("/destroy")
	browsers[1].post("/create") // replaces its session: the count stays
	assert.Equal(t, "4", size())

	clock.Advance(40 * time.Second)
	browsers[2].get("/whoami") // keeps browser 2 alive
	clock.Advance(30 * time.Second)
	browsers[3].get("/whoami") // expired: found by the lookup
	assert.Equal(t, "3", size())

	_, err := m.Sweep(t.Context()) // browsers 1 and 4
	require.NoError(t, err)
	assert.Equal(t, "1", size())
	assert.Equal(t, 1, m.GetSessionSize())
}

func TestRenewalKeepsDataAndKillsTheOldCookie(t *testing.T) {
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			clock := testkit.NewClock()
			m := newTestManager(t, testOptions(clock), nil)
			browser := newClient(t, newTestServer(t, newApp(m, carrier.new())))

			browser.post("/login")
			browser.post("/set/user/alice")
			_, before := browser.get("/whoami")
			oldCookie := browser.cookie(session.DefaultKey)
			require.NotEmpty(t, oldCookie)

			clock.Advance(10 * time.Second)
			status, _ := browser.post("/renew")
			require.Equal(t, http.StatusOK, status)
			newCookie := browser.cookie(session.DefaultKey)
			assert.NotEqual(t, oldCookie, newCookie, "the cookie changed")

			_, after := browser.get("/whoami")
			require.NotEqual(t, "none", after)
			assert.Equal(t, strings.Fields(before)[1:], strings.Fields(after)[1:], "same creation time and values")
			assert.NotEqual(t, strings.Fields(before)[0], strings.Fields(after)[0], "new masked ID")

			replay := browser.withCookie(session.DefaultKey, oldCookie)
			_, replayed := replay.get("/whoami")
			assert.Equal(t, "none", replayed, "the old cookie finds nothing")
			status, _ = replay.post("/renew")
			assert.Equal(t, http.StatusConflict, status, "the old cookie cannot renew")
			assert.Equal(t, 1, m.GetSessionSize())
		})
	}
}

func TestConcurrentRenewalsOfOneSessionHaveOneWinner(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	srv := newTestServer(t, newApp(m, nil))
	browser := newClient(t, srv)
	browser.post("/create")
	id := browser.cookie(session.DefaultKey)

	const racers = 20
	statuses := make(chan int, racers)
	var wg sync.WaitGroup
	for range racers {
		wg.Go(func() {
			status, _ := browser.withCookie(session.DefaultKey, id).post("/renew")
			statuses <- status
		})
	}
	wg.Wait()
	close(statuses)
	won := 0
	for status := range statuses {
		if status == http.StatusOK {
			won++
		} else {
			assert.Equal(t, http.StatusConflict, status)
		}
	}
	assert.Equal(t, 1, won)
	assert.Equal(t, 1, m.GetSessionSize())
}

func TestAValueSetBeforeTheBodyIsStored(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	r := newApp(m, nil)
	r.GET("/stream", func(c *gin.Context) {
		_ = session.GetSession(c).Set("seen", "yes")
		c.Writer.WriteHeaderNow()
		_, _ = c.Writer.WriteString("partial ")
		c.Writer.Flush()
		_, _ = c.Writer.WriteString("body")
		// Headers are gone; a later Set still reaches the store.
		_ = session.GetSession(c).Set("late", "too")
	})
	browser := newClient(t, newTestServer(t, r))
	browser.post("/create")

	status, body := browser.get("/stream")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "partial body", body)
	_, who := browser.get("/whoami")
	assert.Contains(t, who, "keys=late=too,seen=yes")
}

func TestAFailedCommitIsAnErrorNotA200(t *testing.T) {
	failing := newCountingStore()
	opts := testOptions(testkit.NewClock())
	opts.Store = failing
	m := newTestManager(t, opts, nil)
	browser := newClient(t, newTestServer(t, newApp(m, nil)))
	browser.post("/create")

	failing.failUpdate.Store(true)
	status, body := browser.post("/set/a/1")
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, http.StatusText(http.StatusInternalServerError), trimmed(body))
	assert.NotContains(t, body, "secret", "no error text reaches the client")

	failing.failUpdate.Store(false)
	_, who := browser.get("/whoami")
	assert.NotContains(t, who, "a=1", "the failed change is not half-stored")
}

func TestAStoreFailureAtLookupFailsClosed(t *testing.T) {
	failing := newCountingStore()
	opts := testOptions(testkit.NewClock())
	opts.Store = failing
	m := newTestManager(t, opts, nil)
	browser := newClient(t, newTestServer(t, newApp(m, nil)))
	browser.post("/create")

	failing.failLoad.Store(true)
	for _, path := range []string{"/whoami", "/create"} {
		status, body := browser.do(map[string]string{"/whoami": http.MethodGet, "/create": http.MethodPost}[path], path)
		assert.Equal(t, http.StatusServiceUnavailable, status, path)
		assert.NotContains(t, body, "secret", path)
		assert.NotContains(t, body, "none", "the handler did not run")
	}
	assert.Equal(t, 1, m.GetSessionSize(), "no anonymous session was made")

	failing.failLoad.Store(false)
	_, who := browser.get("/whoami")
	assert.NotEqual(t, "none", who, "the session survived the outage")
}

func TestThousandConcurrentRequestsLoseNoWrite(t *testing.T) {
	const sessions, requests = 50, 1000
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	srv := newTestServer(t, newApp(m, nil))
	browsers := make([]*client, sessions)
	for i := range browsers {
		browsers[i] = newClient(t, srv)
		status, _ := browsers[i].post("/create")
		require.Equal(t, http.StatusOK, status)
	}

	var wg sync.WaitGroup
	limit := make(chan struct{}, 64) // stay under the loopback's connection limits
	for i := range requests {
		wg.Go(func() {
			limit <- struct{}{}
			defer func() { <-limit }()
			status, _ := browsers[i%sessions].post(fmt.Sprintf("/set/k%04d/%d", i, i))
			assert.Equal(t, http.StatusOK, status)
		})
	}
	wg.Wait()

	for i, b := range browsers {
		_, who := b.get("/whoami")
		for j := i; j < requests; j += sessions {
			assert.Contains(t, who, fmt.Sprintf("k%04d=%d", j, j), "session %d", i)
		}
	}
	assert.Equal(t, sessions, m.GetSessionSize())
}

func TestBadCookiesMeanNoSessionAndNoStoreAccess(t *testing.T) {
	valid := encodeID(make([]byte, 32))
	tests := []struct {
		name, value string
	}{
		{"truncated", valid[:42]},
		{"one character too many", valid + "A"},
		{"wrong alphabet", strings.Repeat("+", 43)},
		{"padding", valid[:41] + "=="},
		{"not canonical", valid[:42] + "B"},
		{"oversized", strings.Repeat("A", 5000)},
		{"empty", ""},
	}
	for _, carrier := range carriers {
		for _, tt := range tests {
			t.Run(carrier.name+"/"+tt.name, func(t *testing.T) {
				counting := newCountingStore()
				opts := testOptions(testkit.NewClock())
				opts.Store = counting
				m := newTestManager(t, opts, nil)
				srv := newTestServer(t, newApp(m, carrier.new()))
				status, body := newClient(t, srv).withCookie(session.DefaultKey, tt.value).get("/whoami")
				assert.Equal(t, http.StatusOK, status)
				assert.Equal(t, "none", body)
				assert.Zero(t, counting.loads.Load(), "the store was asked")
			})
		}
	}

	t.Run("gin-contrib cookie tampered", func(t *testing.T) {
		counting := newCountingStore()
		opts := testOptions(testkit.NewClock())
		opts.Store = counting
		m := newTestManager(t, opts, nil)
		srv := newTestServer(t, newApp(m, cookie.NewStore(carrierKey)))
		browser := newClient(t, srv)
		browser.post("/create")
		signed := browser.cookie(session.DefaultKey)
		loads := counting.loads.Load()
		for i, edit := range []string{
			signed[:len(signed)-1],                       // cut short
			signed[:10] + flip(signed[10]) + signed[11:], // one character edited
			"MTIz" + signed[4:],                          // prefix replaced
		} {
			_, body := browser.withCookie(session.DefaultKey, edit).get("/whoami")
			assert.Equal(t, "none", body, "edit %d", i)
		}
		assert.Equal(t, loads, counting.loads.Load(), "the store was asked")

		signedElsewhere := newClient(t, newTestServer(t, newApp(m, cookie.NewStore([]byte("another key, another application")))))
		signedElsewhere.post("/create")
		_, body := browser.withCookie(session.DefaultKey, signedElsewhere.cookie(session.DefaultKey)).get("/whoami")
		assert.Equal(t, "none", body, "a cookie signed with another key")
	})

	t.Run("built-in cookie with an unknown ID", func(t *testing.T) {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		srv := newTestServer(t, newApp(m, nil))
		_, body := newClient(t, srv).withCookie(session.DefaultKey, valid).get("/whoami")
		assert.Equal(t, "none", body)
		assert.Zero(t, m.GetSessionSize(), "an unknown ID is never adopted")
	})
}

// flip returns a different base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestCookieAttributesAndHeaders(t *testing.T) {
	m := newTestManager(t, testOptions(testkit.NewClock()), nil)
	app := newApp(m, nil)

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/create", nil))
	res := rec.Result()
	require.Len(t, res.Cookies(), 1)
	ck := res.Cookies()[0]
	assert.Equal(t, session.DefaultKey, ck.Name)
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	assert.Equal(t, "/", ck.Path)
	assert.Equal(t, 600, ck.MaxAge, "MaxAge is the cookie's Max-Age")
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Contains(t, res.Header.Values("Vary"), "Cookie")

	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	req.AddCookie(ck)
	app.ServeHTTP(rec, req)
	assert.Empty(t, rec.Result().Cookies(), "a read sends no cookie")
	assert.Empty(t, rec.Header().Get("Cache-Control"))
	assert.Contains(t, rec.Header().Values("Vary"), "Cookie")

	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, "/destroy", nil)
	req.AddCookie(ck)
	app.ServeHTTP(rec, req)
	require.Len(t, rec.Result().Cookies(), 1)
	gone := rec.Result().Cookies()[0]
	assert.Less(t, gone.MaxAge, 0, "the destroying cookie expires")
	assert.Equal(t, "/", gone.Path)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}

func TestHelpersWithoutMiddleware(t *testing.T) {
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		assert.Nil(t, session.GetSession(c))
		_, err := session.CreateSession(c)
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		_, err = session.RenewSession(c)
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		assert.ErrorIs(t, session.DestroySession(c), session.ErrNoMiddleware)
		assert.Zero(t, session.GetSessionSize(c))
		c.Status(http.StatusNoContent)
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusNoContent, rec.Code)
}
