package manager_test

// The tests named TestSecurity... prove the requirements that SECURITY.md
// lists, each against every store in securityStores where a store is
// involved.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// securityApp is a small application behind m.Handler. It routes on the
// last element of the path, so that it serves under any cookie Path:
//
//	create      CreateSession
//	login       a login done right: renew the session, or create one
//	renew       RenewSession; 409 when it fails
//	destroy     DestroySession
//	invalidate  Session.Invalidate
//	set         Set(?k, ?v); 404 without a session
//	whoami      "none", or the session's masked ID and values
func securityApp(m *manager.Manager) http.Handler {
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		var err error
		switch path.Base(r.URL.Path) {
		case "create":
			_, err = m.CreateSession(r, w)
		case "login":
			if s == nil {
				s, err = m.CreateSession(r, w)
			} else {
				s, err = m.RenewSession(r, w)
			}
			if err == nil {
				err = s.Set("user", "victim")
			}
		case "renew":
			if _, err = m.RenewSession(r, w); err != nil {
				http.Error(w, "renew failed", http.StatusConflict)
				return
			}
		case "destroy":
			err = m.DestroySession(r, w)
		case "invalidate":
			if s != nil {
				s.Invalidate()
			}
		case "set":
			if s == nil {
				http.Error(w, "no session", http.StatusNotFound)
				return
			}
			err = s.Set(r.URL.Query().Get("k"), r.URL.Query().Get("v"))
		case "whoami":
			if s == nil {
				_, _ = io.WriteString(w, "none")
				return
			}
			_, _ = fmt.Fprintf(w, "%s %s", s.GetMaskedSessionId(), strings.Join(keyValues(s), ","))
			return
		default:
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "failed", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
}

// keyValues returns "key=value" for each key of s, sorted by key.
func keyValues(s manager.Session) []string {
	var out []string
	for _, k := range s.Keys() {
		v, _ := s.Get(k)
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	return out
}

// send runs h on a request for target that carries cookies.
func send(h http.Handler, method, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for _, ck := range cookies {
		r.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// sendRawCookie runs h on a GET of target whose Cookie header is exactly
// name=value, however malformed value is.
func sendRawCookie(h http.Handler, target, name, value string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Cookie", name+"="+value)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// randomID returns a well-formed session ID that no manager issued.
func randomID(t *testing.T) string {
	t.Helper()
	var b [32]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// idRecorder is a random source that records every session ID made from
// it: a manager reads exactly 32 bytes per ID.
type idRecorder struct {
	mu   sync.Mutex
	ids  []string
	fail atomic.Bool
}

var errEntropy = errors.New("test: random source failed")

func (r *idRecorder) Read(p []byte) (int, error) {
	if r.fail.Load() {
		return 0, errEntropy
	}
	n, err := io.ReadFull(rand.Reader, p)
	r.mu.Lock()
	r.ids = append(r.ids, base64.RawURLEncoding.EncodeToString(p[:n]))
	r.mu.Unlock()
	return n, err
}

func (r *idRecorder) issued() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// Requirement 1: IDs are 32 bytes from crypto/rand, and a failing source is
// an error, never a weak ID.
func TestSecurityIDEntropy(t *testing.T) {
	t.Run("the default source is crypto/rand", func(t *testing.T) {
		env := newEnv(t, manager.Options{}, nil)
		assert.True(t, env.m.Options().Rand == rand.Reader, "Options.Rand defaults to %T", env.m.Options().Rand)
	})

	t.Run("an ID is one 32-byte read, unchanged", func(t *testing.T) {
		source := &idRecorder{}
		env := newEnv(t, manager.Options{Rand: source}, nil)
		var ids []string
		for range 100 {
			s, _ := env.create(t)
			ids = append(ids, s.GetId())
		}
		for i, read := range source.issued() {
			raw, err := base64.RawURLEncoding.DecodeString(read)
			require.NoError(t, err)
			require.Len(t, raw, 32, "read %d: the manager reads 32 bytes per ID", i)
		}
		assert.Equal(t, source.issued(), ids, "each ID is the base64url form of exactly one read")
	})

	t.Run("every bit varies", func(t *testing.T) {
		// A constant bit would show a lost byte or a masked-off range; with
		// 256 random IDs a sound generator leaves none (chance 2^-250).
		env := newEnv(t, manager.Options{}, nil)
		var ones, zeros [32]byte
		for range 256 {
			s, _ := env.create(t)
			raw, err := base64.RawURLEncoding.DecodeString(s.GetId())
			require.NoError(t, err)
			for i, b := range raw {
				ones[i] |= b
				zeros[i] |= ^b
			}
		}
		for i := range 32 {
			assert.Equalf(t, byte(0xFF), ones[i], "byte %d: some bit is never 1", i)
			assert.Equalf(t, byte(0xFF), zeros[i], "byte %d: some bit is never 0", i)
		}
	})

	t.Run("renewal with a failing source keeps the old ID and sends nothing", func(t *testing.T) {
		source := &idRecorder{}
		env := newEnv(t, manager.Options{Rand: source}, nil)
		s, ck := env.create(t)
		source.fail.Store(true)

		rec := httptest.NewRecorder()
		renewed, err := env.m.RenewSession(requestWith(ck), rec)
		require.ErrorIs(t, err, manager.ErrRandom)
		assert.ErrorIs(t, err, errEntropy)
		assert.Nil(t, renewed)
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		assert.NotNil(t, env.m.GetSessionById(s.GetId()), "a failed renewal lost the session")
		assert.Equal(t, 1, env.m.GetSessionSize())
	})

	t.Run("creation through the middleware with a failing source", func(t *testing.T) {
		source := &idRecorder{}
		source.fail.Store(true)
		env := newEnv(t, manager.Options{Rand: source}, nil)
		rec := send(securityApp(env.m), http.MethodPost, "/create")
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		assert.Zero(t, env.m.GetSessionSize())
		assert.Zero(t, env.events.countKind(manager.Created))
	})
}

// Requirement 2: an ID the server did not issue is never adopted, and
// looking it up creates nothing.
func TestSecurityStrictModeCreatesNothing(t *testing.T) {
	const unknownIDs = 10_000
	forEachStore(t, func(t *testing.T, st store.Store) {
		rs := &recordingStore{Store: st}
		env := newStoreEnv(t, rs, manager.Options{})
		h := securityApp(env.m)
		live, liveCk := env.create(t) // the one session the server did issue

		for i := range unknownIDs {
			ck := &http.Cookie{Name: manager.DefaultCookieName, Value: randomID(t)}
			rec := send(h, http.MethodGet, "/whoami", ck)
			if rec.Code != http.StatusOK || rec.Body.String() != "none" || len(rec.Header().Values("Set-Cookie")) > 0 {
				t.Fatalf("unknown ID %d: status %d, body %q, Set-Cookie %q", i, rec.Code, rec.Body.String(), rec.Header().Values("Set-Cookie"))
			}
			if env.m.GetSessionById(ck.Value) != nil {
				t.Fatalf("unknown ID %d: GetSessionById found a session", i)
			}
			if i%100 == 0 { // the other ways to present an ID, on a sample
				if rec := send(h, http.MethodPost, "/renew", ck); rec.Code != http.StatusConflict {
					t.Fatalf("unknown ID %d: renew answered %d", i, rec.Code)
				}
				if rec := send(h, http.MethodPost, "/set?k=a&v=b", ck); rec.Code != http.StatusNotFound {
					t.Fatalf("unknown ID %d: set answered %d", i, rec.Code)
				}
				if err := env.m.DestroySessionById(ck.Value); !errors.Is(err, manager.ErrSessionGone) {
					t.Fatalf("unknown ID %d: DestroySessionById: %v", i, err)
				}
			}
		}

		assert.Equal(t, 1, rs.createCount(), "a lookup created a record")
		assert.Equal(t, 1, env.m.GetSessionSize())
		assert.Equal(t, 1, env.events.countKind(manager.Created), "only the issued session was created")
		assert.Zero(t, env.events.countKind(manager.Update))
		assert.Zero(t, env.events.countKind(manager.Destroyed))
		assert.Equal(t, "ok", send(h, http.MethodPost, "/set?k=a&v=b", liveCk).Body.String(), "control: the issued ID works")
		assert.Equal(t, 1, env.events.count(live.GetId(), manager.Update))
	})
}

// Requirement 2: an expired ID is never adopted: not by a request, not by
// CreateSession, and its record is gone once a lookup finds it expired.
func TestSecurityStrictModeExpiredIDNotAdopted(t *testing.T) {
	tests := []struct {
		name    string
		opts    manager.Options
		elapsed time.Duration
		// keepAlive is how often the session is used before it expires;
		// 0 means never.
		keepAlive time.Duration
	}{
		{name: "idle", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 600}, elapsed: 60 * time.Second},
		{name: "absolute", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 120}, elapsed: 120 * time.Second, keepAlive: 40 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				rs := &recordingStore{Store: st}
				env := newStoreEnv(t, rs, tt.opts)
				h := securityApp(env.m)
				created := send(h, http.MethodPost, "/create")
				require.Equal(t, http.StatusOK, created.Code)
				ck := sessionCookie(t, created, manager.DefaultCookieName)
				require.Equal(t, "ok", send(h, http.MethodPost, "/set?k=user&v=ann", ck).Body.String())

				for passed := time.Duration(0); passed < tt.elapsed; {
					step := tt.elapsed - passed
					if tt.keepAlive > 0 {
						step = min(step, tt.keepAlive)
					}
					env.clock.Advance(step)
					passed += step
					if passed < tt.elapsed {
						require.NotEqual(t, "none", send(h, http.MethodGet, "/whoami", ck).Body.String(), "expired early, at %v", passed)
					}
				}

				rec := send(h, http.MethodGet, "/whoami", ck)
				assert.Equal(t, "none", rec.Body.String())
				assert.Empty(t, rec.Header().Values("Set-Cookie"))
				assert.Nil(t, env.m.GetSessionById(ck.Value))
				assert.Equal(t, 0, env.m.GetSessionSize(), "the expired record outlived its lookup")
				assert.Equal(t, 1, env.events.count(ck.Value, manager.Destroyed))

				fresh := send(h, http.MethodPost, "/create", ck)
				require.Equal(t, http.StatusOK, fresh.Code)
				assert.NotEqual(t, ck.Value, sessionCookie(t, fresh, manager.DefaultCookieName).Value, "CreateSession revived the expired ID")
				assert.Equal(t, 2, rs.createCount())
				assert.Equal(t, 1, env.m.GetSessionSize())
			})
		})
	}
}

// malformedIDs are values a client may send that are not session IDs. None
// may reach a store.
func malformedIDs() map[string]string {
	valid := validID(7)
	return map[string]string{
		"empty":                 "",
		"one character":         "A",
		"42 characters":         valid[:42],
		"44 characters":         valid + "A",
		"86 characters":         valid + valid,
		"standard base64 +":     "+" + valid[1:],
		"standard base64 /":     valid[:10] + "/" + valid[11:],
		"padding":               valid[:42] + "=",
		"percent-encoded":       "%41" + valid[3:],
		"dot":                   valid[:5] + "." + valid[6:],
		"space":                 valid[:20] + " " + valid[21:],
		"tab":                   valid[:20] + "\t" + valid[21:],
		"NUL":                   valid[:20] + "\x00" + valid[21:],
		"non-ASCII":             valid[:40] + "é" + valid[42:],
		"non-canonical last":    strings.Repeat("A", 42) + "B",
		"non-canonical last _":  strings.Repeat("A", 42) + "_",
		"SQL":                   "' OR '1'='1' --" + valid[15:],
		"Redis key pattern":     strings.Repeat("*", 43),
		"oversized":             strings.Repeat("A", manager.MaxCookieSize+1),
		"4096 bytes":            strings.Repeat("A", manager.MaxCookieSize),
		"valid ID with a colon": valid[:42] + ":",
	}
}

// Requirement 3: IDs are checked for length and alphabet before any store
// sees them, on every way in: the cookie of a request (through the
// middleware and without it), the methods taking an ID, a session creator
// and Options.SessionLoader.
func TestSecurityIDCheckedBeforeStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		rs := &recordingStore{Store: st}
		env := newStoreEnv(t, rs, manager.Options{})
		_, live := env.create(t)
		h := securityApp(env.m)
		bad := malformedIDs()

		for name, value := range bad {
			for _, route := range []string{"/whoami", "/set?k=a&v=b", "/renew", "/destroy", "/invalidate", "/create"} {
				rec := sendRawCookie(h, route, manager.DefaultCookieName, value)
				assert.NotEqualf(t, http.StatusInternalServerError, rec.Code, "%s on %s", name, route)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", manager.DefaultCookieName+"="+value)
			assert.Nilf(t, env.m.GetSession(r), "%s: GetSession", name)
			_, err := env.m.RenewSession(r, httptest.NewRecorder())
			assert.ErrorIsf(t, err, manager.ErrNoSession, "%s: RenewSession", name)
			assert.NoErrorf(t, env.m.DestroySession(r, httptest.NewRecorder()), "%s: DestroySession", name)
			assert.Nilf(t, env.m.GetSessionById(value), "%s: GetSessionById", name)
			assert.ErrorIsf(t, env.m.DestroySessionById(value), manager.ErrSessionGone, "%s: DestroySessionById", name)

			creator := func(*http.Request, http.ResponseWriter) (manager.Session, error) {
				return manager.NewSession(value, env.clock.Now().Unix()), nil
			}
			withCreator := manager.NewManager(manager.Options{Store: rs, Clock: env.clock.Now, GcStopChan: stoppedGC(), Logger: slog.New(slog.DiscardHandler)}, creator, nil)
			_, err = withCreator.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
			assert.ErrorIsf(t, err, manager.ErrInvalidID, "%s: a creator's ID", name)
			require.NoError(t, withCreator.Close())

			loader := func() []manager.Session { return []manager.Session{manager.NewSession(value, env.clock.Now().Unix())} }
			loaded := manager.NewManager(manager.Options{Store: rs, Clock: env.clock.Now, GcStopChan: stoppedGC(), Logger: slog.New(slog.DiscardHandler), SessionLoader: loader}, nil, nil)
			require.NoError(t, loaded.Close())
		}

		seen := rs.seen()
		require.NotEmpty(t, seen, "control: the store saw the valid IDs")
		for _, id := range seen {
			assert.Truef(t, manager.IsValidID(id), "the store was asked about a malformed ID %q", id)
		}
		for name, value := range bad {
			for _, id := range seen {
				if id == value {
					t.Errorf("the store was asked about %s", name)
				}
			}
		}
		assert.NotNil(t, env.m.GetSessionById(live.Value), "control: the live session survived")
	})
}

// Requirement 4: renewal on login defeats fixation. An attacker who got a
// victim to use the attacker's own session cookie finds nothing after the
// victim logs in; the victim keeps values and creation time.
func TestSecurityFixationRenewKillsTheOldID(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := newStoreEnv(t, st, manager.Options{})
		h := securityApp(env.m)

		attacker := send(h, http.MethodPost, "/create")
		require.Equal(t, http.StatusOK, attacker.Code)
		planted := sessionCookie(t, attacker, manager.DefaultCookieName)
		require.Equal(t, "ok", send(h, http.MethodPost, "/set?k=cart&v=3", planted).Body.String())
		createdAt := env.m.GetSessionById(planted.Value).GetCreationTime()

		env.clock.Advance(time.Minute)
		login := send(h, http.MethodPost, "/login", planted) // the victim, with the planted cookie
		require.Equal(t, http.StatusOK, login.Code)
		victim := sessionCookie(t, login, manager.DefaultCookieName)
		assert.NotEqual(t, planted.Value, victim.Value)
		assert.True(t, manager.IsValidID(victim.Value))
		assert.Equal(t, "no-store", login.Header().Get("Cache-Control"))

		t.Run("the old cookie finds nothing", func(t *testing.T) {
			assert.Equal(t, "none", send(h, http.MethodGet, "/whoami", planted).Body.String())
			assert.Nil(t, env.m.GetSessionById(planted.Value))
			assert.Equal(t, http.StatusConflict, send(h, http.MethodPost, "/renew", planted).Code)
			assert.Equal(t, http.StatusNotFound, send(h, http.MethodPost, "/set?k=user&v=attacker", planted).Code)
			assert.Equal(t, http.StatusOK, send(h, http.MethodPost, "/destroy", planted).Code)
			assert.ErrorIs(t, env.m.DestroySessionById(planted.Value), manager.ErrSessionGone)
		})
		t.Run("the new ID keeps values and creation time", func(t *testing.T) {
			s := env.m.GetSessionById(victim.Value)
			require.NotNil(t, s, "the old cookie's requests touched the new session")
			assert.Equal(t, []string{"cart=3", "user=victim"}, keyValues(s))
			assert.Equal(t, createdAt, s.GetCreationTime())
			assert.Equal(t, env.clock.Now().Unix(), s.GetLastAccessTime())
			assert.Equal(t, 1, env.m.GetSessionSize())
		})
	})
}

// Requirement 4: an ID the server did not issue, planted in a victim's
// browser, is replaced at login and never becomes a session.
func TestSecurityFixationUnissuedIDIsReplaced(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := newStoreEnv(t, st, manager.Options{})
		h := securityApp(env.m)
		planted := &http.Cookie{Name: manager.DefaultCookieName, Value: randomID(t)}

		login := send(h, http.MethodPost, "/login", planted)
		require.Equal(t, http.StatusOK, login.Code)
		issued := sessionCookie(t, login, manager.DefaultCookieName)
		assert.NotEqual(t, planted.Value, issued.Value)
		assert.Nil(t, env.m.GetSessionById(planted.Value))
		assert.Equal(t, "none", send(h, http.MethodGet, "/whoami", planted).Body.String())
		assert.Contains(t, send(h, http.MethodGet, "/whoami", issued).Body.String(), "user=victim")
		assert.Equal(t, 1, env.m.GetSessionSize())
	})
}

// Requirement 4: CreateSession over an existing session destroys the old
// one; it never reuses its ID or its values.
func TestSecurityFixationCreateReplacesTheOldSession(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := newStoreEnv(t, st, manager.Options{})
		h := securityApp(env.m)
		first := sessionCookie(t, send(h, http.MethodPost, "/create"), manager.DefaultCookieName)
		require.Equal(t, "ok", send(h, http.MethodPost, "/set?k=user&v=ann", first).Body.String())

		rec := send(h, http.MethodPost, "/create", first)
		require.Equal(t, http.StatusOK, rec.Code)
		second := sessionCookie(t, rec, manager.DefaultCookieName)
		assert.NotEqual(t, first.Value, second.Value)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		assert.Equal(t, "none", send(h, http.MethodGet, "/whoami", first).Body.String())
		assert.Nil(t, env.m.GetSessionById(first.Value))
		s := env.m.GetSessionById(second.Value)
		require.NotNil(t, s)
		assert.Empty(t, s.Keys(), "the new session inherited the old one's values")
		assert.Equal(t, 1, env.events.count(first.Value, manager.Destroyed))
		assert.Equal(t, 1, env.m.GetSessionSize())
	})
}

// Requirement 4: of concurrent renewals of one session exactly one wins;
// the others get ErrSessionGone and send no cookie.
func TestSecurityFixationConcurrentRenewal(t *testing.T) {
	const requests = 16
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := newStoreEnv(t, st, manager.Options{})
		s, ck := env.create(t)
		require.NoError(t, s.Set("user", "ann"))

		var loaded sync.WaitGroup
		loaded.Add(requests)
		errs := make(chan error, requests)
		h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			has := env.m.GetSession(r) != nil
			loaded.Done()
			loaded.Wait() // every request holds the session before any renews it
			if !has {
				errs <- manager.ErrNoSession
				return
			}
			_, err := env.m.RenewSession(r, w)
			errs <- err
		}))
		recs := make([]*httptest.ResponseRecorder, requests)
		var done sync.WaitGroup
		for i := range recs {
			recs[i] = httptest.NewRecorder()
			done.Go(func() { h.ServeHTTP(recs[i], requestWith(ck)) })
		}
		done.Wait()
		close(errs)

		wins := 0
		for err := range errs {
			if err == nil {
				wins++
				continue
			}
			assert.ErrorIs(t, err, manager.ErrSessionGone)
			assert.NotContains(t, err.Error(), ck.Value, "an error names the session's ID")
		}
		assert.Equal(t, 1, wins, "exactly one renewal wins")

		var winner string
		for _, rec := range recs {
			if len(rec.Header().Values("Set-Cookie")) > 0 {
				require.Empty(t, winner, "two responses sent a cookie")
				winner = sessionCookie(t, rec, manager.DefaultCookieName).Value
			}
		}
		require.NotEmpty(t, winner)
		assert.Nil(t, env.m.GetSessionById(ck.Value))
		found := env.m.GetSessionById(winner)
		require.NotNil(t, found)
		assert.Equal(t, []string{"user=ann"}, keyValues(found))
		assert.Equal(t, 1, env.m.GetSessionSize())
	})
}

// Requirement 5: both timeouts are enforced by every lookup, with the
// sweeper stopped; renewal does not extend the absolute deadline.
func TestSecurityTimeoutsWithGCStopped(t *testing.T) {
	tests := []struct {
		name string
		opts manager.Options
		// every is how often the browser comes back, until it is refused.
		every time.Duration
		// renewAt is the time after creation at which the browser renews;
		// 0 means never.
		renewAt time.Duration
		// deadAt is the time after creation from which the session must be
		// refused.
		deadAt time.Duration
	}{
		{name: "idle", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 3600}, every: 60 * time.Second, deadAt: 60 * time.Second},
		{name: "idle, used in time", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 59 * time.Second, deadAt: 300 * time.Second},
		{name: "absolute", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 20 * time.Second, deadAt: 300 * time.Second},
		{name: "renewal keeps the absolute deadline", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: 300}, every: 20 * time.Second, renewAt: 200 * time.Second, deadAt: 300 * time.Second},
		{name: "idle, no absolute limit", opts: manager.Options{MaxInactiveInterval: 60, MaxAge: -1}, every: 61 * time.Second, deadAt: 61 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				env := newStoreEnv(t, st, tt.opts)
				select {
				case <-env.m.SweeperDone():
				case <-time.After(5 * time.Second):
					t.Fatal("the sweeper is still running")
				}
				h := securityApp(env.m)
				ck := sessionCookie(t, send(h, http.MethodPost, "/create"), manager.DefaultCookieName)
				firstID := ck.Value

				var elapsed time.Duration
				for {
					env.clock.Advance(tt.every)
					elapsed += tt.every
					if tt.renewAt > 0 && elapsed == tt.renewAt {
						rec := send(h, http.MethodPost, "/renew", ck)
						require.Equal(t, http.StatusOK, rec.Code)
						ck = sessionCookie(t, rec, manager.DefaultCookieName)
						assert.Equal(t, int((tt.deadAt-elapsed)/time.Second), ck.MaxAge, "the renewed cookie outlives the session")
						continue
					}
					alive := send(h, http.MethodGet, "/whoami", ck).Body.String() != "none"
					if elapsed < tt.deadAt {
						require.Truef(t, alive, "refused %v after creation", elapsed)
						continue
					}
					require.Falsef(t, alive, "still alive %v after creation", elapsed)
					break
				}
				assert.Nil(t, env.m.GetSessionById(ck.Value))
				assert.Equal(t, 1, env.events.count(ck.Value, manager.Destroyed))
				assert.Equal(t, 0, env.m.GetSessionSize())
				if tt.renewAt > 0 {
					assert.NotEqual(t, firstID, ck.Value)
				}
			})
		})
	}
}

// Requirement 6: logout deletes the record and sends an expiring cookie
// with the same name, Path, Domain and attributes; replaying the old
// cookie afterwards finds nothing.
func TestSecurityLogout(t *testing.T) {
	for _, route := range []string{"destroy", "invalidate"} {
		t.Run(route, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				opts := manager.Options{Path: "/app", Domain: "example.test", Secure: true, CookieName: "__Secure-sid"}
				env := newStoreEnv(t, st, opts)
				h := securityApp(env.m)
				login := send(h, http.MethodPost, "https://example.test/app/login")
				require.Equal(t, http.StatusOK, login.Code)
				ck := sessionCookie(t, login, opts.CookieName)
				require.Equal(t, "/app", ck.Path)
				require.Equal(t, "example.test", ck.Domain)

				logout := send(h, http.MethodPost, "https://example.test/app/"+route, ck)
				require.Equal(t, http.StatusOK, logout.Code)
				setCookies := logout.Header().Values("Set-Cookie")
				require.Len(t, setCookies, 1)
				assert.Contains(t, setCookies[0], "Max-Age=0")
				gone := sessionCookie(t, logout, opts.CookieName)
				assert.Empty(t, gone.Value)
				assert.Less(t, gone.MaxAge, 0)
				assert.Equal(t, ck.Path, gone.Path)
				assert.Equal(t, ck.Domain, gone.Domain)
				assert.Equal(t, ck.Secure, gone.Secure)
				assert.Equal(t, ck.HttpOnly, gone.HttpOnly)
				assert.Equal(t, ck.SameSite, gone.SameSite)
				assert.Equal(t, "no-store", logout.Header().Get("Cache-Control"))
				assert.Nil(t, env.m.GetSessionById(ck.Value), "the record outlived logout")
				assert.Equal(t, 0, env.m.GetSessionSize())
				assert.Equal(t, 1, env.events.count(ck.Value, manager.Destroyed))

				replay := send(h, http.MethodGet, "https://example.test/app/whoami", ck)
				assert.Equal(t, "none", replay.Body.String())
				assert.Empty(t, replay.Header().Values("Set-Cookie"))
				assert.Equal(t, http.StatusConflict, send(h, http.MethodPost, "https://example.test/app/renew", ck).Code)
				assert.Equal(t, http.StatusNotFound, send(h, http.MethodPost, "https://example.test/app/set?k=a&v=b", ck).Code)
				assert.Equal(t, 0, env.m.GetSessionSize(), "the replay brought the session back")
			})
		})
	}
}

// Requirement 7: a cookie named with the __Host- prefix is sent Secure,
// with Path=/ and no Domain, on every response that sets it; options that
// break those rules panic at NewManager with a message that says why.
func TestSecurityHostPrefixCookie(t *testing.T) {
	t.Run("the cookie", func(t *testing.T) {
		env := newEnv(t, manager.Options{CookieName: "__Host-sid", Secure: true}, nil)
		h := securityApp(env.m)
		created := send(h, http.MethodPost, "https://example.test/create")
		ck := sessionCookie(t, created, "__Host-sid")
		renewed := send(h, http.MethodPost, "https://example.test/renew", ck)
		destroyed := send(h, http.MethodPost, "https://example.test/destroy", sessionCookie(t, renewed, "__Host-sid"))
		for name, rec := range map[string]*httptest.ResponseRecorder{"create": created, "renew": renewed, "destroy": destroyed} {
			raw := rec.Header().Values("Set-Cookie")
			require.Lenf(t, raw, 1, "%s: Set-Cookie", name)
			assert.Truef(t, strings.HasPrefix(raw[0], "__Host-sid="), "%s: %s", name, raw[0])
			assert.Containsf(t, raw[0], "; Path=/;", "%s: %s", name, raw[0])
			assert.Containsf(t, raw[0], "; Secure", "%s: %s", name, raw[0])
			assert.Containsf(t, raw[0], "; HttpOnly", "%s: %s", name, raw[0])
			assert.NotContainsf(t, raw[0], "Domain=", "%s: %s", name, raw[0])
		}
	})

	t.Run("options that break the prefix", func(t *testing.T) {
		tests := []struct {
			name string
			opts manager.Options
		}{
			{name: "Secure off", opts: manager.Options{CookieName: "__Host-sid"}},
			{name: "Path /app", opts: manager.Options{CookieName: "__Host-sid", Secure: true, Path: "/app"}},
			{name: "a Domain", opts: manager.Options{CookieName: "__Host-sid", Secure: true, Domain: "example.test"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.opts.Logger, tt.opts.GcStopChan = slog.New(slog.DiscardHandler), stoppedGC()
				assert.PanicsWithError(t, `session: cookie name "__Host-sid" needs Secure, Path "/" and no Domain`, func() {
					_ = manager.NewManager(tt.opts, nil, nil)
				})
			})
		}
	})

	t.Run("Secure is one option away", func(t *testing.T) {
		env := newEnv(t, manager.Options{Secure: true}, nil)
		_, ck := env.create(t)
		assert.True(t, ck.Secure)
		assert.True(t, ck.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
		assert.Equal(t, "/", ck.Path)
	})
}

// Requirement 7: a response that sets or expires the cookie carries
// Cache-Control: no-store, even when the handler set another value after
// the cookie; every response carries Vary: Cookie, even when the handler
// replaced its Vary header.
func TestSecurityCacheControlAndVary(t *testing.T) {
	env := newEnv(t, manager.Options{}, nil)
	app := securityApp(env.m)
	_, live := env.create(t)
	fresh := func() *http.Cookie { _, ck := env.create(t); return ck }

	// cachingApp is an application that asks caches to keep its responses.
	cachingApp := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Encoding")
		if r.URL.Path == "/create" {
			if _, err := env.m.CreateSession(r, w); err != nil {
				http.Error(w, "failed", http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Vary", "Accept-Encoding")
		_, _ = io.WriteString(w, "cacheable?")
	}))

	tests := []struct {
		name       string
		rec        *httptest.ResponseRecorder
		setsCookie bool
	}{
		{name: "no cookie", rec: send(app, http.MethodGet, "/whoami")},
		{name: "a read", rec: send(app, http.MethodGet, "/whoami", live)},
		{name: "a write", rec: send(app, http.MethodPost, "/set?k=a&v=b", live)},
		{name: "not found", rec: send(app, http.MethodGet, "/nowhere", live)},
		{name: "create", rec: send(app, http.MethodPost, "/create"), setsCookie: true},
		{name: "renew", rec: send(app, http.MethodPost, "/renew", fresh()), setsCookie: true},
		{name: "destroy", rec: send(app, http.MethodPost, "/destroy", fresh()), setsCookie: true},
		{name: "invalidate", rec: send(app, http.MethodPost, "/invalidate", fresh()), setsCookie: true},
		{name: "caching app, read", rec: send(cachingApp, http.MethodGet, "/", live)},
		{name: "caching app, create", rec: send(cachingApp, http.MethodPost, "/create"), setsCookie: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, tt.rec.Header().Values("Vary"), "Cookie")
			sets := len(tt.rec.Header().Values("Set-Cookie")) > 0
			require.Equal(t, tt.setsCookie, sets, "Set-Cookie: %q", tt.rec.Header().Values("Set-Cookie"))
			if tt.setsCookie {
				assert.Equal(t, []string{"no-store"}, tt.rec.Header().Values("Cache-Control"))
			} else {
				assert.NotContains(t, tt.rec.Header().Values("Cache-Control"), "no-store", "no-store on a response without a cookie costs caching for nothing")
			}
		})
	}
}

// Requirement 8: the session ID is read from the session cookie only:
// never from the URL, a form, another header or another cookie.
func TestSecurityIDOnlyFromCookie(t *testing.T) {
	env := newEnv(t, manager.Options{}, nil)
	_, live := env.create(t)
	id := live.Value
	name := manager.DefaultCookieName

	var sawSession bool
	var formValue string
	h := env.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawSession = env.m.GetSession(r) != nil
		formValue = r.FormValue(name) // the body is still the handler's to read
	}))

	multipartBody := func() (*bytes.Buffer, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.WriteField(name, id))
		require.NoError(t, mw.Close())
		return &buf, mw.FormDataContentType()
	}

	tests := []struct {
		name     string
		request  func() *http.Request
		formSeen bool // the handler finds the ID in its form: the body was not consumed
	}{
		{name: "query", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/?"+url.Values{name: {id}}.Encode(), nil)
		}, formSeen: true},
		{name: "query, other names", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/?"+url.Values{"sessionid": {id}, "session": {id}, "sid": {id}, "id": {id}}.Encode(), nil)
		}},
		{name: "path parameter (URL rewriting)", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/page;"+name+"="+id, nil)
		}},
		{name: "path segment", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/"+id, nil)
		}},
		{name: "urlencoded form", request: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{name: {id}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, formSeen: true},
		{name: "multipart form", request: func() *http.Request {
			body, contentType := multipartBody()
			r := httptest.NewRequest(http.MethodPost, "/", body)
			r.Header.Set("Content-Type", contentType)
			return r
		}, formSeen: true},
		{name: "headers", request: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+id)
			r.Header.Set(name, id)
			r.Header.Set("X-Session-Id", id)
			r.Header.Set("Cookie2", name+"="+id)
			r.Header.Set("Set-Cookie", name+"="+id)
			return r
		}},
		{name: "other cookies", request: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", "Session-Key="+id+"; x"+name+"="+id+"; "+name+"x="+id+"; sid="+id)
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.request())
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.False(t, sawSession, "the ID was taken from outside the cookie")
			assert.Empty(t, rec.Header().Values("Set-Cookie"))
			if tt.formSeen {
				assert.Equal(t, id, formValue)
			}
		})
	}

	t.Run("control: the cookie", func(t *testing.T) {
		h.ServeHTTP(httptest.NewRecorder(), requestWith(live))
		assert.True(t, sawSession)
	})
}

// Requirement 9: a session cookie longer than 4096 bytes is refused before
// it is decoded: the ID check never runs on it and no store sees it.
func TestSecurityOversizedCookieRefusedBeforeDecoding(t *testing.T) {
	tests := []struct {
		name       string
		length     int
		wantReason string // what the debug log says of it
	}{
		{name: "at the limit", length: manager.MaxCookieSize, wantReason: "malformed"},
		{name: "one byte over", length: manager.MaxCookieSize + 1, wantReason: "over the 4096-byte limit"},
		{name: "64 KiB", length: 64 << 10, wantReason: "over the 4096-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				rs := &recordingStore{Store: st}
				env := newStoreEnv(t, rs, manager.Options{})
				// A value an ID check could mistake for an ID if it looked
				// only at a prefix: a valid ID, padded.
				value := validID(3) + strings.Repeat("A", tt.length-manager.IDLength)
				require.Len(t, value, tt.length)

				rec := sendRawCookie(securityApp(env.m), "/whoami", manager.DefaultCookieName, value)
				assert.Equal(t, http.StatusOK, rec.Code)
				assert.Equal(t, "none", rec.Body.String())
				assert.Empty(t, rec.Header().Values("Set-Cookie"))
				assert.Empty(t, rs.seen(), "the store saw the cookie")
				logged := env.logs.String()
				assert.Contains(t, logged, tt.wantReason)
				assert.NotContains(t, logged, validID(3), "the log holds the cookie")
			})
		})
	}
}

// failingStore wraps a store and fails each operation whose switch is on,
// with an error whose text must never reach a client.
type failingStore struct {
	store.Store
	err                                     error
	load, create, update, del, renew, count atomic.Bool
}

func (s *failingStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	if s.load.Load() {
		return store.Record{}, false, s.err
	}
	return s.Store.Load(ctx, id, now, touch)
}

func (s *failingStore) Create(ctx context.Context, id string, rec store.Record) error {
	if s.create.Load() {
		return s.err
	}
	return s.Store.Create(ctx, id, rec)
}

func (s *failingStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.update.Load() {
		return s.err
	}
	return s.Store.Update(ctx, id, changes)
}

func (s *failingStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	if s.del.Load() {
		return store.Record{}, false, s.err
	}
	return s.Store.Delete(ctx, id)
}

func (s *failingStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	if s.renew.Load() {
		return s.err
	}
	return s.Store.Renew(ctx, oldID, newID, now)
}

func (s *failingStore) Count(ctx context.Context) (int, error) {
	if s.count.Load() {
		return 0, s.err
	}
	return s.Store.Count(ctx)
}

// internalDetail is in the text of every injected store error: no response
// may show it.
const internalDetail = "dial tcp 10.0.0.7:6379: secret internal detail"

// Requirement 10: a store error while loading fails closed through the
// error handler (503 when the store cannot answer, 500 for any other
// failure, such as a record that cannot be read), with a body without
// internal text, no Set-Cookie, and never a new anonymous session.
func TestSecurityFailClosed(t *testing.T) {
	causes := []struct {
		name     string
		err      error
		wantCode int
	}{
		{name: "plain error", err: errors.New(internalDetail), wantCode: http.StatusInternalServerError},
		{name: "store unavailable", err: fmt.Errorf("%w: %s", store.ErrUnavailable, internalDetail), wantCode: http.StatusServiceUnavailable},
		{name: "deadline", err: fmt.Errorf("%s: %w", internalDetail, context.DeadlineExceeded), wantCode: http.StatusServiceUnavailable},
		{name: "store closed", err: fmt.Errorf("%s: %w", internalDetail, store.ErrClosed), wantCode: http.StatusServiceUnavailable},
	}
	for _, cause := range causes {
		t.Run(cause.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				fs := &failingStore{Store: st, err: cause.err}
				env := newStoreEnv(t, fs, manager.Options{})
				app := securityApp(env.m)
				s, ck := env.create(t)
				require.NoError(t, s.Set("user", "ann"))
				fs.load.Store(true)

				for _, route := range []string{"/whoami", "/create", "/login", "/renew", "/destroy", "/set?k=user&v=mallory"} {
					rec := send(app, http.MethodPost, route, ck)
					assert.Equal(t, cause.wantCode, rec.Code, route)
					// Only the status text: the application's handler did not run.
					assert.Equal(t, http.StatusText(cause.wantCode)+"\n", rec.Body.String(), route)
					assert.Empty(t, rec.Header().Values("Set-Cookie"), route)
					assert.Contains(t, rec.Header().Values("Vary"), "Cookie", route)
				}
				assert.Equal(t, 1, env.events.countKind(manager.Created), "a session was created during the outage")
				assert.Zero(t, env.events.countKind(manager.Destroyed))

				t.Run("without the middleware", func(t *testing.T) {
					rec := httptest.NewRecorder()
					_, err := env.m.CreateSession(requestWith(ck), rec)
					assert.ErrorIs(t, err, cause.err)
					_, err = env.m.RenewSession(requestWith(ck), rec)
					assert.ErrorIs(t, err, cause.err)
					assert.ErrorIs(t, env.m.DestroySession(requestWith(ck), rec), cause.err)
					assert.Nil(t, env.m.GetSession(requestWith(ck)))
					assert.Empty(t, rec.Header().Values("Set-Cookie"))
				})

				fs.load.Store(false)
				assert.Equal(t, 1, env.m.GetSessionSize(), "a session was made during the outage")
				assert.Contains(t, send(app, http.MethodGet, "/whoami", ck).Body.String(), "user=ann", "the session did not survive the outage")
				assert.Contains(t, env.logs.String(), internalDetail, "the failure was not logged")
			})
		})
	}

	t.Run("custom ErrorHandler", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st store.Store) {
			fs := &failingStore{Store: st, err: errors.New(internalDetail)}
			var got []error
			env := newStoreEnv(t, fs, manager.Options{ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
				got = append(got, err)
				http.Error(w, "try again later", http.StatusServiceUnavailable)
			}})
			_, ck := env.create(t)
			fs.load.Store(true)

			rec := send(securityApp(env.m), http.MethodGet, "/whoami", ck)
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
			assert.Equal(t, "try again later\n", rec.Body.String())
			assert.Empty(t, rec.Header().Values("Set-Cookie"))
			require.Len(t, got, 1)
			assert.ErrorIs(t, got[0], fs.err)
			assert.NotContains(t, got[0].Error(), ck.Value, "the error holds the raw ID")
		})
	})
}

// Requirement 11: no raw session ID in any log line, event text or error
// text, whatever happens to the session. Every ID the manager issues is
// recorded from its random source; every log line, every error and every
// way of printing an event's session is searched for each.
func TestSecurityNoRawIDInLogsEventsOrErrors(t *testing.T) {
	source := &idRecorder{}
	logs := &testkit.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var eventText testkit.Buffer
	eventLogger := slog.New(slog.NewJSONHandler(&eventText, nil))
	onEvent := func(s manager.Session, event int) {
		// Ways a user may print a session in an event handler.
		_, _ = fmt.Fprintf(&eventText, "%v %+v %#v %s %q %x %d\n", s, s, s, s, s, s, s)
		logger.Info("event", "session", s, "event", event)
		eventLogger.Info("event", "session", s)
		if event == manager.Destroyed {
			panic(s) // recovered and logged by the manager
		}
	}
	var mu sync.Mutex
	var texts []string // errors and response bodies
	keep := func(err error) {
		if err != nil {
			mu.Lock()
			texts = append(texts, err.Error())
			mu.Unlock()
		}
	}

	clock := testkit.NewClockAt(time.Now().Truncate(time.Second))
	fs := &failingStore{Store: store.NewMemory(), err: errors.New(internalDetail)}
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	opts := manager.Options{
		Store: fs, Rand: source, Logger: logger, Clock: clock.Now, GcStopChan: stoppedGC(),
		MaxInactiveInterval: 60, MaxAge: 600,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			keep(err)
			logger.Error("request failed", "err", err)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		},
	}
	m := manager.NewManager(opts, nil, onEvent)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	h := securityApp(m)
	do := func(method, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		rec := send(h, method, target, cookies...)
		keep(errors.New(rec.Body.String()))
		return rec
	}
	cookieOf := func(rec *httptest.ResponseRecorder) *http.Cookie {
		return sessionCookie(t, rec, manager.DefaultCookieName)
	}

	// The lifecycle: create, use, renew, replace, destroy, expire.
	ck := cookieOf(do(http.MethodPost, "/create"))
	do(http.MethodPost, "/set?k=user&v=ann", ck)
	old := ck
	ck = cookieOf(do(http.MethodPost, "/renew", ck))
	do(http.MethodGet, "/whoami", old)
	do(http.MethodPost, "/renew", old)
	ck = cookieOf(do(http.MethodPost, "/create", ck))
	do(http.MethodPost, "/destroy", ck)
	do(http.MethodPost, "/invalidate", cookieOf(do(http.MethodPost, "/create")))
	byID := cookieOf(do(http.MethodPost, "/create"))
	keep(m.DestroySessionById(byID.Value))
	keep(m.DestroySessionById(byID.Value))
	idle := cookieOf(do(http.MethodPost, "/create"))
	swept := cookieOf(do(http.MethodPost, "/create"))
	clock.Advance(time.Minute)
	do(http.MethodGet, "/whoami", idle)
	_, err := m.Sweep(t.Context())
	keep(err)
	do(http.MethodGet, "/whoami", swept)
	direct, err := m.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	require.NoError(t, err)
	keep(direct.Set("", "x"))
	keep(direct.Set("k", "v"))
	direct.Invalidate()
	keep(direct.Set("k", "after"))

	// Store failures at every step.
	live := cookieOf(do(http.MethodPost, "/create"))
	for i, fail := range []*atomic.Bool{&fs.load, &fs.update, &fs.del, &fs.renew, &fs.create, &fs.count} {
		fail.Store(true)
		for _, route := range []string{"/whoami", fmt.Sprintf("/set?k=a&v=%d", i), "/renew", "/create", "/destroy", "/invalidate"} {
			do(http.MethodPost, route, live)
		}
		_, err := m.RenewSession(requestWith(live), httptest.NewRecorder())
		keep(err)
		keep(m.DestroySession(requestWith(live), httptest.NewRecorder()))
		keep(m.DestroySessionById(live.Value))
		m.GetSessionById(live.Value)
		m.GetSession(requestWith(live))
		m.GetSessionSize()
		fail.Store(false)
		live = cookieOf(do(http.MethodPost, "/create"))
	}
	clock.Advance(time.Minute)
	fs.del.Store(true)
	do(http.MethodGet, "/whoami", live) // expired, and its removal fails
	fs.del.Store(false)

	// IDs that a creator or a loader hand over: taken, or refused.
	taken := cookieOf(do(http.MethodPost, "/create")).Value
	reuse := func(*http.Request, http.ResponseWriter) (manager.Session, error) {
		return manager.NewSession(taken, clock.Now().Unix()), nil
	}
	withCreator := manager.NewManager(manager.Options{Store: fs, Logger: logger, Clock: clock.Now, GcStopChan: stoppedGC()}, reuse, onEvent)
	_, err = withCreator.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	require.Error(t, err)
	keep(err)
	require.NoError(t, withCreator.Close())
	loader := func() []manager.Session { return []manager.Session{manager.NewSession(taken, clock.Now().Unix())} }
	withLoader := manager.NewManager(manager.Options{Store: fs, Logger: logger, Clock: clock.Now, GcStopChan: stoppedGC(), SessionLoader: loader}, nil, onEvent)
	require.NoError(t, withLoader.Close())

	ids := source.issued()
	require.Greater(t, len(ids), 20, "control: the run issued IDs")
	everything := logs.String() + eventText.String() + strings.Join(texts, "\n")
	require.Contains(t, everything, "event handler panicked", "control: the panics were logged")
	require.Contains(t, everything, internalDetail, "control: the store failures were logged")
	for _, id := range ids {
		if strings.Contains(everything, id) {
			i := strings.Index(everything, id)
			t.Errorf("a raw ID (masked %s) appears in: %q", store.MaskedID(id), everything[max(0, i-200):i])
		}
	}
}
