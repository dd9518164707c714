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

// Requirement 1: IDs are 32 bytes from crypto/rand, and a failing source is
// an error, never a weak ID.
func TestSecurityIDEntropy(t *testing.T) {
	t.Run("the default source is crypto/rand", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{}, nil)
		assert.True(t, env.M.Options().Rand == rand.Reader, "Options.Rand defaults to %T", env.M.Options().Rand)
	})

	t.Run("an ID is one 32-byte read, unchanged", func(t *testing.T) {
		source := &testkit.IDRecorder{}
		env := testkit.NewEnv(t, manager.Options{Rand: source}, nil)
		var ids []string
		for range 100 {
			s, _ := env.Create(t)
			ids = append(ids, s.GetId())
		}
		for i, read := range source.Issued() {
			raw, err := base64.RawURLEncoding.DecodeString(read)
			require.NoError(t, err)
			require.Len(t, raw, 32, "read %d: the manager reads 32 bytes per ID", i)
		}
		assert.Equal(t, source.Issued(), ids, "each ID is the base64url form of exactly one read")
	})

	t.Run("every bit varies", func(t *testing.T) {
		// A constant bit would show a lost byte or a masked-off range; with
		// 256 random IDs a sound generator leaves none (chance 2^-250).
		env := testkit.NewEnv(t, manager.Options{}, nil)
		var ones, zeros [32]byte
		for range 256 {
			s, _ := env.Create(t)
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
		source := &testkit.IDRecorder{}
		env := testkit.NewEnv(t, manager.Options{Rand: source}, nil)
		s, ck := env.Create(t)
		source.Fail.Store(true)

		rec := httptest.NewRecorder()
		renewed, err := env.M.RenewSession(testkit.RequestWith(ck), rec)
		require.ErrorIs(t, err, manager.ErrRandom)
		assert.ErrorIs(t, err, testkit.ErrEntropy)
		assert.Nil(t, renewed)
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		assert.NotNil(t, env.M.GetSessionById(s.GetId()), "a failed renewal lost the session")
		assert.Equal(t, 1, env.M.GetSessionSize())
	})

	t.Run("creation through the middleware with a failing source", func(t *testing.T) {
		source := &testkit.IDRecorder{}
		source.Fail.Store(true)
		env := testkit.NewEnv(t, manager.Options{Rand: source}, nil)
		rec := testkit.Send(testkit.App(env.M), http.MethodPost, "/create")
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		assert.Zero(t, env.M.GetSessionSize())
		assert.Zero(t, env.Events.CountKind(manager.Created))
	})
}

// Requirement 2: an ID the server did not issue is never adopted, and
// looking it up creates nothing.
func TestSecurityStrictModeCreatesNothing(t *testing.T) {
	const unknownIDs = 10_000
	forEachStore(t, func(t *testing.T, st store.Store) {
		rs := &testkit.RecordingStore{Store: st}
		env := testkit.NewStoreEnv(t, rs, manager.Options{})
		h := testkit.App(env.M)
		live, liveCk := env.Create(t) // the one session the server did issue

		for i := range unknownIDs {
			ck := &http.Cookie{Name: manager.DefaultCookieName, Value: testkit.RandomID(t)}
			rec := testkit.Send(h, http.MethodGet, "/whoami", ck)
			if rec.Code != http.StatusOK || rec.Body.String() != "none" || len(rec.Header().Values("Set-Cookie")) > 0 {
				t.Fatalf("unknown ID %d: status %d, body %q, Set-Cookie %q", i, rec.Code, rec.Body.String(), rec.Header().Values("Set-Cookie"))
			}
			if env.M.GetSessionById(ck.Value) != nil {
				t.Fatalf("unknown ID %d: GetSessionById found a session", i)
			}
			if i%100 == 0 { // the other ways to present an ID, on a sample
				if rec := testkit.Send(h, http.MethodPost, "/renew", ck); rec.Code != http.StatusConflict {
					t.Fatalf("unknown ID %d: renew answered %d", i, rec.Code)
				}
				if rec := testkit.Send(h, http.MethodPost, "/set?k=a&v=b", ck); rec.Code != http.StatusNotFound {
					t.Fatalf("unknown ID %d: set answered %d", i, rec.Code)
				}
				if err := env.M.DestroySessionById(ck.Value); !errors.Is(err, manager.ErrSessionGone) {
					t.Fatalf("unknown ID %d: DestroySessionById: %v", i, err)
				}
			}
		}

		assert.Equal(t, 1, rs.Creates(), "a lookup created a record")
		assert.Equal(t, 1, env.M.GetSessionSize())
		assert.Equal(t, 1, env.Events.CountKind(manager.Created), "only the issued session was created")
		assert.Zero(t, env.Events.CountKind(manager.Update))
		assert.Zero(t, env.Events.CountKind(manager.Destroyed))
		assert.Equal(t, "ok", testkit.Send(h, http.MethodPost, "/set?k=a&v=b", liveCk).Body.String(), "control: the issued ID works")
		assert.Equal(t, 1, env.Events.Count(live.GetId(), manager.Update))
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
				rs := &testkit.RecordingStore{Store: st}
				env := testkit.NewStoreEnv(t, rs, tt.opts)
				h := testkit.App(env.M)
				created := testkit.Send(h, http.MethodPost, "/create")
				require.Equal(t, http.StatusOK, created.Code)
				ck := testkit.SessionCookie(t, created, manager.DefaultCookieName)
				require.Equal(t, "ok", testkit.Send(h, http.MethodPost, "/set?k=user&v=ann", ck).Body.String())

				for passed := time.Duration(0); passed < tt.elapsed; {
					step := tt.elapsed - passed
					if tt.keepAlive > 0 {
						step = min(step, tt.keepAlive)
					}
					env.Clock.Advance(step)
					passed += step
					if passed < tt.elapsed {
						require.NotEqual(t, "none", testkit.Send(h, http.MethodGet, "/whoami", ck).Body.String(), "expired early, at %v", passed)
					}
				}

				rec := testkit.Send(h, http.MethodGet, "/whoami", ck)
				assert.Equal(t, "none", rec.Body.String())
				assert.Empty(t, rec.Header().Values("Set-Cookie"))
				assert.Nil(t, env.M.GetSessionById(ck.Value))
				assert.Equal(t, 0, env.M.GetSessionSize(), "the expired record outlived its lookup")
				assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))

				fresh := testkit.Send(h, http.MethodPost, "/create", ck)
				require.Equal(t, http.StatusOK, fresh.Code)
				assert.NotEqual(t, ck.Value, testkit.SessionCookie(t, fresh, manager.DefaultCookieName).Value, "CreateSession revived the expired ID")
				assert.Equal(t, 2, rs.Creates())
				assert.Equal(t, 1, env.M.GetSessionSize())
			})
		})
	}
}

// malformedIDs are values a client may send that are not session IDs. None
// may reach a store.
func malformedIDs() map[string]string {
	valid := testkit.ValidID(7)
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
		rs := &testkit.RecordingStore{Store: st}
		env := testkit.NewStoreEnv(t, rs, manager.Options{})
		_, live := env.Create(t)
		h := testkit.App(env.M)
		bad := malformedIDs()

		for name, value := range bad {
			for _, route := range []string{"/whoami", "/set?k=a&v=b", "/renew", "/destroy", "/invalidate", "/create"} {
				rec := testkit.SendRawCookie(h, route, manager.DefaultCookieName, value)
				assert.NotEqualf(t, http.StatusInternalServerError, rec.Code, "%s on %s", name, route)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", manager.DefaultCookieName+"="+value)
			assert.Nilf(t, env.M.GetSession(r), "%s: GetSession", name)
			_, err := env.M.RenewSession(r, httptest.NewRecorder())
			assert.ErrorIsf(t, err, manager.ErrNoSession, "%s: RenewSession", name)
			assert.NoErrorf(t, env.M.DestroySession(r, httptest.NewRecorder()), "%s: DestroySession", name)
			assert.Nilf(t, env.M.GetSessionById(value), "%s: GetSessionById", name)
			assert.ErrorIsf(t, env.M.DestroySessionById(value), manager.ErrSessionGone, "%s: DestroySessionById", name)

			creator := func(*http.Request, http.ResponseWriter) (manager.Session, error) {
				return manager.NewSession(value, env.Clock.Now().Unix()), nil
			}
			withCreator := manager.NewManager(manager.Options{Store: rs, Clock: env.Clock.Now, GcStopChan: testkit.StoppedSweeper(), Logger: slog.New(slog.DiscardHandler)}, creator, nil)
			_, err = withCreator.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
			assert.ErrorIsf(t, err, manager.ErrInvalidID, "%s: a creator's ID", name)
			require.NoError(t, withCreator.Close())

			loader := func() []manager.Session { return []manager.Session{manager.NewSession(value, env.Clock.Now().Unix())} }
			loaded := manager.NewManager(manager.Options{Store: rs, Clock: env.Clock.Now, GcStopChan: testkit.StoppedSweeper(), Logger: slog.New(slog.DiscardHandler), SessionLoader: loader}, nil, nil)
			require.NoError(t, loaded.Close())
		}

		seen := rs.Seen()
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
		assert.NotNil(t, env.M.GetSessionById(live.Value), "control: the live session survived")
	})
}

// Requirement 4: renewal on login defeats fixation. An attacker who got a
// victim to use the attacker's own session cookie finds nothing after the
// victim logs in; the victim keeps values and creation time.
func TestSecurityFixationRenewKillsTheOldID(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := testkit.NewStoreEnv(t, st, manager.Options{})
		h := testkit.App(env.M)

		attacker := testkit.Send(h, http.MethodPost, "/create")
		require.Equal(t, http.StatusOK, attacker.Code)
		planted := testkit.SessionCookie(t, attacker, manager.DefaultCookieName)
		require.Equal(t, "ok", testkit.Send(h, http.MethodPost, "/set?k=cart&v=3", planted).Body.String())
		createdAt := env.M.GetSessionById(planted.Value).GetCreationTime()

		env.Clock.Advance(time.Minute)
		login := testkit.Send(h, http.MethodPost, "/login", planted) // the victim, with the planted cookie
		require.Equal(t, http.StatusOK, login.Code)
		victim := testkit.SessionCookie(t, login, manager.DefaultCookieName)
		assert.NotEqual(t, planted.Value, victim.Value)
		assert.True(t, manager.IsValidID(victim.Value))
		assert.Equal(t, "no-store", login.Header().Get("Cache-Control"))

		t.Run("the old cookie finds nothing", func(t *testing.T) {
			assert.Equal(t, "none", testkit.Send(h, http.MethodGet, "/whoami", planted).Body.String())
			assert.Nil(t, env.M.GetSessionById(planted.Value))
			assert.Equal(t, http.StatusConflict, testkit.Send(h, http.MethodPost, "/renew", planted).Code)
			assert.Equal(t, http.StatusNotFound, testkit.Send(h, http.MethodPost, "/set?k=user&v=attacker", planted).Code)
			assert.Equal(t, http.StatusOK, testkit.Send(h, http.MethodPost, "/destroy", planted).Code)
			assert.ErrorIs(t, env.M.DestroySessionById(planted.Value), manager.ErrSessionGone)
		})
		t.Run("the new ID keeps values and creation time", func(t *testing.T) {
			s := env.M.GetSessionById(victim.Value)
			require.NotNil(t, s, "the old cookie's requests touched the new session")
			assert.Equal(t, []string{"cart=3", "user=victim"}, testkit.KeyValues(s))
			assert.Equal(t, createdAt, s.GetCreationTime())
			assert.Equal(t, env.Clock.Now().Unix(), s.GetLastAccessTime())
			assert.Equal(t, 1, env.M.GetSessionSize())
		})
	})
}

// Requirement 4: an ID the server did not issue, planted in a victim's
// browser, is replaced at login and never becomes a session.
func TestSecurityFixationUnissuedIDIsReplaced(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := testkit.NewStoreEnv(t, st, manager.Options{})
		h := testkit.App(env.M)
		planted := &http.Cookie{Name: manager.DefaultCookieName, Value: testkit.RandomID(t)}

		login := testkit.Send(h, http.MethodPost, "/login", planted)
		require.Equal(t, http.StatusOK, login.Code)
		issued := testkit.SessionCookie(t, login, manager.DefaultCookieName)
		assert.NotEqual(t, planted.Value, issued.Value)
		assert.Nil(t, env.M.GetSessionById(planted.Value))
		assert.Equal(t, "none", testkit.Send(h, http.MethodGet, "/whoami", planted).Body.String())
		assert.Contains(t, testkit.Send(h, http.MethodGet, "/whoami", issued).Body.String(), "user=victim")
		assert.Equal(t, 1, env.M.GetSessionSize())
	})
}

// Requirement 4: CreateSession over an existing session destroys the old
// one; it never reuses its ID or its values.
func TestSecurityFixationCreateReplacesTheOldSession(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := testkit.NewStoreEnv(t, st, manager.Options{})
		h := testkit.App(env.M)
		first := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), manager.DefaultCookieName)
		require.Equal(t, "ok", testkit.Send(h, http.MethodPost, "/set?k=user&v=ann", first).Body.String())

		rec := testkit.Send(h, http.MethodPost, "/create", first)
		require.Equal(t, http.StatusOK, rec.Code)
		second := testkit.SessionCookie(t, rec, manager.DefaultCookieName)
		assert.NotEqual(t, first.Value, second.Value)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		assert.Equal(t, "none", testkit.Send(h, http.MethodGet, "/whoami", first).Body.String())
		assert.Nil(t, env.M.GetSessionById(first.Value))
		s := env.M.GetSessionById(second.Value)
		require.NotNil(t, s)
		assert.Empty(t, s.Keys(), "the new session inherited the old one's values")
		assert.Equal(t, 1, env.Events.Count(first.Value, manager.Destroyed))
		assert.Equal(t, 1, env.M.GetSessionSize())
	})
}

// Requirement 4: of concurrent renewals of one session exactly one wins;
// the others get ErrSessionGone and send no cookie.
func TestSecurityFixationConcurrentRenewal(t *testing.T) {
	const requests = 16
	forEachStore(t, func(t *testing.T, st store.Store) {
		env := testkit.NewStoreEnv(t, st, manager.Options{})
		s, ck := env.Create(t)
		require.NoError(t, s.Set("user", "ann"))

		var loaded sync.WaitGroup
		loaded.Add(requests)
		errs := make(chan error, requests)
		h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			has := env.M.GetSession(r) != nil
			loaded.Done()
			loaded.Wait() // every request holds the session before any renews it
			if !has {
				errs <- manager.ErrNoSession
				return
			}
			_, err := env.M.RenewSession(r, w)
			errs <- err
		}))
		recs := make([]*httptest.ResponseRecorder, requests)
		var done sync.WaitGroup
		for i := range recs {
			recs[i] = httptest.NewRecorder()
			done.Go(func() { h.ServeHTTP(recs[i], testkit.RequestWith(ck)) })
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
				winner = testkit.SessionCookie(t, rec, manager.DefaultCookieName).Value
			}
		}
		require.NotEmpty(t, winner)
		assert.Nil(t, env.M.GetSessionById(ck.Value))
		found := env.M.GetSessionById(winner)
		require.NotNil(t, found)
		assert.Equal(t, []string{"user=ann"}, testkit.KeyValues(found))
		assert.Equal(t, 1, env.M.GetSessionSize())
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
				env := testkit.NewStoreEnv(t, st, tt.opts)
				select {
				case <-env.M.SweeperDone():
				case <-time.After(5 * time.Second):
					t.Fatal("the sweeper is still running")
				}
				h := testkit.App(env.M)
				ck := testkit.SessionCookie(t, testkit.Send(h, http.MethodPost, "/create"), manager.DefaultCookieName)
				firstID := ck.Value

				var elapsed time.Duration
				for {
					env.Clock.Advance(tt.every)
					elapsed += tt.every
					if tt.renewAt > 0 && elapsed == tt.renewAt {
						rec := testkit.Send(h, http.MethodPost, "/renew", ck)
						require.Equal(t, http.StatusOK, rec.Code)
						ck = testkit.SessionCookie(t, rec, manager.DefaultCookieName)
						assert.Equal(t, int((tt.deadAt-elapsed)/time.Second), ck.MaxAge, "the renewed cookie outlives the session")
						continue
					}
					alive := testkit.Send(h, http.MethodGet, "/whoami", ck).Body.String() != "none"
					if elapsed < tt.deadAt {
						require.Truef(t, alive, "refused %v after creation", elapsed)
						continue
					}
					require.Falsef(t, alive, "still alive %v after creation", elapsed)
					break
				}
				assert.Nil(t, env.M.GetSessionById(ck.Value))
				assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))
				assert.Equal(t, 0, env.M.GetSessionSize())
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
				env := testkit.NewStoreEnv(t, st, opts)
				h := testkit.App(env.M)
				login := testkit.Send(h, http.MethodPost, "https://example.test/app/login")
				require.Equal(t, http.StatusOK, login.Code)
				ck := testkit.SessionCookie(t, login, opts.CookieName)
				require.Equal(t, "/app", ck.Path)
				require.Equal(t, "example.test", ck.Domain)

				logout := testkit.Send(h, http.MethodPost, "https://example.test/app/"+route, ck)
				require.Equal(t, http.StatusOK, logout.Code)
				setCookies := logout.Header().Values("Set-Cookie")
				require.Len(t, setCookies, 1)
				assert.Contains(t, setCookies[0], "Max-Age=0")
				gone := testkit.SessionCookie(t, logout, opts.CookieName)
				assert.Empty(t, gone.Value)
				assert.Less(t, gone.MaxAge, 0)
				assert.Equal(t, ck.Path, gone.Path)
				assert.Equal(t, ck.Domain, gone.Domain)
				assert.Equal(t, ck.Secure, gone.Secure)
				assert.Equal(t, ck.HttpOnly, gone.HttpOnly)
				assert.Equal(t, ck.SameSite, gone.SameSite)
				assert.Equal(t, "no-store", logout.Header().Get("Cache-Control"))
				assert.Nil(t, env.M.GetSessionById(ck.Value), "the record outlived logout")
				assert.Equal(t, 0, env.M.GetSessionSize())
				assert.Equal(t, 1, env.Events.Count(ck.Value, manager.Destroyed))

				replay := testkit.Send(h, http.MethodGet, "https://example.test/app/whoami", ck)
				assert.Equal(t, "none", replay.Body.String())
				assert.Empty(t, replay.Header().Values("Set-Cookie"))
				assert.Equal(t, http.StatusConflict, testkit.Send(h, http.MethodPost, "https://example.test/app/renew", ck).Code)
				assert.Equal(t, http.StatusNotFound, testkit.Send(h, http.MethodPost, "https://example.test/app/set?k=a&v=b", ck).Code)
				assert.Equal(t, 0, env.M.GetSessionSize(), "the replay brought the session back")
			})
		})
	}
}

// Requirement 7: a cookie named with the __Host- prefix is sent Secure,
// with Path=/ and no Domain, on every response that sets it; options that
// break those rules panic at NewManager with a message that says why.
func TestSecurityHostPrefixCookie(t *testing.T) {
	t.Run("the cookie", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{CookieName: "__Host-sid", Secure: true}, nil)
		h := testkit.App(env.M)
		created := testkit.Send(h, http.MethodPost, "https://example.test/create")
		ck := testkit.SessionCookie(t, created, "__Host-sid")
		renewed := testkit.Send(h, http.MethodPost, "https://example.test/renew", ck)
		destroyed := testkit.Send(h, http.MethodPost, "https://example.test/destroy", testkit.SessionCookie(t, renewed, "__Host-sid"))
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
				tt.opts.Logger, tt.opts.GcStopChan = slog.New(slog.DiscardHandler), testkit.StoppedSweeper()
				assert.PanicsWithError(t, `session: cookie name "__Host-sid" needs Secure, Path "/" and no Domain`, func() {
					_ = manager.NewManager(tt.opts, nil, nil)
				})
			})
		}
	})

	t.Run("Secure is one option away", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{Secure: true}, nil)
		_, ck := env.Create(t)
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
	env := testkit.NewEnv(t, manager.Options{}, nil)
	app := testkit.App(env.M)
	_, live := env.Create(t)
	fresh := func() *http.Cookie { _, ck := env.Create(t); return ck }

	// cachingApp is an application that asks caches to keep its responses.
	cachingApp := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Encoding")
		if r.URL.Path == "/create" {
			if _, err := env.M.CreateSession(r, w); err != nil {
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
		{name: "no cookie", rec: testkit.Send(app, http.MethodGet, "/whoami")},
		{name: "a read", rec: testkit.Send(app, http.MethodGet, "/whoami", live)},
		{name: "a write", rec: testkit.Send(app, http.MethodPost, "/set?k=a&v=b", live)},
		{name: "not found", rec: testkit.Send(app, http.MethodGet, "/nowhere", live)},
		{name: "create", rec: testkit.Send(app, http.MethodPost, "/create"), setsCookie: true},
		{name: "renew", rec: testkit.Send(app, http.MethodPost, "/renew", fresh()), setsCookie: true},
		{name: "destroy", rec: testkit.Send(app, http.MethodPost, "/destroy", fresh()), setsCookie: true},
		{name: "invalidate", rec: testkit.Send(app, http.MethodPost, "/invalidate", fresh()), setsCookie: true},
		{name: "caching app, read", rec: testkit.Send(cachingApp, http.MethodGet, "/", live)},
		{name: "caching app, create", rec: testkit.Send(cachingApp, http.MethodPost, "/create"), setsCookie: true},
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
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, live := env.Create(t)
	id := live.Value
	name := manager.DefaultCookieName

	var sawSession bool
	var formValue string
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawSession = env.M.GetSession(r) != nil
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
		h.ServeHTTP(httptest.NewRecorder(), testkit.RequestWith(live))
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
				rs := &testkit.RecordingStore{Store: st}
				env := testkit.NewStoreEnv(t, rs, manager.Options{})
				// A value an ID check could mistake for an ID if it looked
				// only at a prefix: a valid ID, padded.
				value := testkit.ValidID(3) + strings.Repeat("A", tt.length-manager.IDLength)
				require.Len(t, value, tt.length)

				rec := testkit.SendRawCookie(testkit.App(env.M), "/whoami", manager.DefaultCookieName, value)
				assert.Equal(t, http.StatusOK, rec.Code)
				assert.Equal(t, "none", rec.Body.String())
				assert.Empty(t, rec.Header().Values("Set-Cookie"))
				assert.Empty(t, rs.Seen(), "the store saw the cookie")
				logged := env.Logs.String()
				assert.Contains(t, logged, tt.wantReason)
				assert.NotContains(t, logged, testkit.ValidID(3), "the log holds the cookie")
			})
		})
	}
}

// internalDetail is in the text of every injected store error: no response
// may show it.
const internalDetail = "dial tcp 10.0.0.7:6379: secret internal detail"

// Requirement 10: a store error while loading fails closed: 503 through
// the error handler, a body without internal text, no Set-Cookie, and never
// a new anonymous session.
func TestSecurityFailClosed(t *testing.T) {
	causes := []struct {
		name string
		err  error
	}{
		{name: "plain error", err: errors.New(internalDetail)},
		{name: "store unavailable", err: fmt.Errorf("%w: %s", store.ErrUnavailable, internalDetail)},
		{name: "deadline", err: fmt.Errorf("%s: %w", internalDetail, context.DeadlineExceeded)},
		{name: "store closed", err: fmt.Errorf("%s: %w", internalDetail, store.ErrClosed)},
	}
	for _, cause := range causes {
		t.Run(cause.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				fs := &testkit.FaultyStore{Store: st, Err: cause.err}
				env := testkit.NewStoreEnv(t, fs, manager.Options{})
				app := testkit.App(env.M)
				s, ck := env.Create(t)
				require.NoError(t, s.Set("user", "ann"))
				fs.FailLoad.Store(true)

				for _, route := range []string{"/whoami", "/create", "/login", "/renew", "/destroy", "/set?k=user&v=mallory"} {
					rec := testkit.Send(app, http.MethodPost, route, ck)
					assert.Equal(t, http.StatusServiceUnavailable, rec.Code, route)
					// Only the status text: the application's handler did not run.
					assert.Equal(t, "Service Unavailable\n", rec.Body.String(), route)
					assert.Empty(t, rec.Header().Values("Set-Cookie"), route)
					assert.Contains(t, rec.Header().Values("Vary"), "Cookie", route)
				}
				assert.Equal(t, 1, env.Events.CountKind(manager.Created), "a session was created during the outage")
				assert.Zero(t, env.Events.CountKind(manager.Destroyed))

				t.Run("without the middleware", func(t *testing.T) {
					rec := httptest.NewRecorder()
					_, err := env.M.CreateSession(testkit.RequestWith(ck), rec)
					assert.ErrorIs(t, err, manager.ErrUnavailable)
					_, err = env.M.RenewSession(testkit.RequestWith(ck), rec)
					assert.ErrorIs(t, err, manager.ErrUnavailable)
					assert.ErrorIs(t, env.M.DestroySession(testkit.RequestWith(ck), rec), manager.ErrUnavailable)
					assert.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
					assert.Empty(t, rec.Header().Values("Set-Cookie"))
				})

				fs.FailLoad.Store(false)
				assert.Equal(t, 1, env.M.GetSessionSize(), "a session was made during the outage")
				assert.Contains(t, testkit.Send(app, http.MethodGet, "/whoami", ck).Body.String(), "user=ann", "the session did not survive the outage")
				assert.Contains(t, env.Logs.String(), internalDetail, "the failure was not logged")
			})
		})
	}

	t.Run("custom ErrorHandler", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st store.Store) {
			fs := &testkit.FaultyStore{Store: st, Err: errors.New(internalDetail)}
			var got []error
			env := testkit.NewStoreEnv(t, fs, manager.Options{ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
				got = append(got, err)
				http.Error(w, "try again later", http.StatusServiceUnavailable)
			}})
			_, ck := env.Create(t)
			fs.FailLoad.Store(true)

			rec := testkit.Send(testkit.App(env.M), http.MethodGet, "/whoami", ck)
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
			assert.Equal(t, "try again later\n", rec.Body.String())
			assert.Empty(t, rec.Header().Values("Set-Cookie"))
			require.Len(t, got, 1)
			assert.ErrorIs(t, got[0], manager.ErrUnavailable)
			assert.ErrorIs(t, got[0], fs.Err)
			assert.NotContains(t, got[0].Error(), ck.Value, "the error holds the raw ID")
		})
	})
}

// Requirement 11: no raw session ID in any log line, event text or error
// text, whatever happens to the session. Every ID the manager issues is
// recorded from its random source; every log line, every error and every
// way of printing an event's session is searched for each.
func TestSecurityNoRawIDInLogsEventsOrErrors(t *testing.T) {
	source := &testkit.IDRecorder{}
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
	fs := &testkit.FaultyStore{Store: store.NewMemory(), Err: errors.New(internalDetail)}
	t.Cleanup(func() { require.NoError(t, fs.Store.Close()) })
	opts := manager.Options{
		Store: fs, Rand: source, Logger: logger, Clock: clock.Now, GcStopChan: testkit.StoppedSweeper(),
		MaxInactiveInterval: 60, MaxAge: 600,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			keep(err)
			logger.Error("request failed", "err", err)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		},
	}
	m := manager.NewManager(opts, nil, onEvent)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	h := testkit.App(m)
	do := func(method, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		rec := testkit.Send(h, method, target, cookies...)
		keep(errors.New(rec.Body.String()))
		return rec
	}
	cookieOf := func(rec *httptest.ResponseRecorder) *http.Cookie {
		return testkit.SessionCookie(t, rec, manager.DefaultCookieName)
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
	for i, fail := range []*atomic.Bool{&fs.FailLoad, &fs.FailUpdate, &fs.FailDelete, &fs.FailRenew, &fs.FailCreate, &fs.FailCount} {
		fail.Store(true)
		for _, route := range []string{"/whoami", fmt.Sprintf("/set?k=a&v=%d", i), "/renew", "/create", "/destroy", "/invalidate"} {
			do(http.MethodPost, route, live)
		}
		_, err := m.RenewSession(testkit.RequestWith(live), httptest.NewRecorder())
		keep(err)
		keep(m.DestroySession(testkit.RequestWith(live), httptest.NewRecorder()))
		keep(m.DestroySessionById(live.Value))
		m.GetSessionById(live.Value)
		m.GetSession(testkit.RequestWith(live))
		m.GetSessionSize()
		fail.Store(false)
		live = cookieOf(do(http.MethodPost, "/create"))
	}
	clock.Advance(time.Minute)
	fs.FailDelete.Store(true)
	do(http.MethodGet, "/whoami", live) // expired, and its removal fails
	fs.FailDelete.Store(false)

	// IDs that a creator or a loader hand over: taken, or refused.
	taken := cookieOf(do(http.MethodPost, "/create")).Value
	reuse := func(*http.Request, http.ResponseWriter) (manager.Session, error) {
		return manager.NewSession(taken, clock.Now().Unix()), nil
	}
	withCreator := manager.NewManager(manager.Options{Store: fs, Logger: logger, Clock: clock.Now, GcStopChan: testkit.StoppedSweeper()}, reuse, onEvent)
	_, err = withCreator.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	require.Error(t, err)
	keep(err)
	require.NoError(t, withCreator.Close())
	loader := func() []manager.Session { return []manager.Session{manager.NewSession(taken, clock.Now().Unix())} }
	withLoader := manager.NewManager(manager.Options{Store: fs, Logger: logger, Clock: clock.Now, GcStopChan: testkit.StoppedSweeper(), SessionLoader: loader}, nil, onEvent)
	require.NoError(t, withLoader.Close())

	ids := source.Issued()
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
