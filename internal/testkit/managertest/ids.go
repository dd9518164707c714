package managertest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// SecurityStrictModeCreatesNothing proves requirement 2: an ID the server
// did not issue is never adopted, and looking it up creates nothing.
func SecurityStrictModeCreatesNothing(t *testing.T, newStore NewStore) {
	const unknownIDs = 10_000
	st := newStore(t)
	rs := &testkit.RecordingStore{Store: st}
	env := testkit.NewStoreEnv(t, rs, manager.Options{})
	h := testkit.App(env.M)
	live, liveCk := env.Create(t) // the one session the server did issue

	for i := range unknownIDs {
		ck := &http.Cookie{Name: env.CookieName, Value: testkit.RandomID(t)}
		rec := testkit.Send(h, http.MethodGet, "/whoami", ck)
		require.Truef(t, rec.Code == http.StatusOK && rec.Body.String() == "none" && len(rec.Header().Values("Set-Cookie")) == 0,
			"unknown ID %d: status %d, body %q, Set-Cookie %q", i, rec.Code, rec.Body.String(), rec.Header().Values("Set-Cookie"))
		require.Nilf(t, env.M.GetSessionById(ck.Value), "unknown ID %d: GetSessionById found a session", i)
		if i%100 == 0 { // the other ways to present an ID, on a sample
			require.Equalf(t, http.StatusConflict, testkit.Send(h, http.MethodPost, "/renew", ck).Code, "unknown ID %d: renew", i)
			require.Equalf(t, http.StatusNotFound, testkit.Send(h, http.MethodPost, "/set?k=a&v=b", ck).Code, "unknown ID %d: set", i)
			require.ErrorIsf(t, env.M.DestroySessionById(ck.Value), manager.ErrSessionGone, "unknown ID %d: DestroySessionById", i)
		}
	}

	assert.Equal(t, 1, rs.Creates(), "a lookup created a record")
	assert.Equal(t, 1, env.M.GetSessionSize())
	assert.Equal(t, 1, env.Events.CountKind(manager.Created), "only the issued session was created")
	assert.Zero(t, env.Events.CountKind(manager.Update))
	assert.Zero(t, env.Events.CountKind(manager.Destroyed))
	assert.Equal(t, "ok", testkit.Send(h, http.MethodPost, "/set?k=a&v=b", liveCk).Body.String(), "control: the issued ID works")
	assert.Equal(t, 1, env.Events.Count(live.GetId(), manager.Update))
}

// SecurityStrictModeExpiredIDNotAdopted proves requirement 2: an expired ID
// is never adopted: not by a request, not by CreateSession, and its record
// is gone once a lookup finds it expired.
func SecurityStrictModeExpiredIDNotAdopted(t *testing.T, newStore NewStore) {
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
			st := newStore(t)
			rs := &testkit.RecordingStore{Store: st}
			env := testkit.NewStoreEnv(t, rs, tt.opts)
			h := testkit.App(env.M)
			created := testkit.Send(h, http.MethodPost, "/create")
			require.Equal(t, http.StatusOK, created.Code)
			ck := testkit.SessionCookie(t, created, env.CookieName)
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
			assert.NotEqual(t, ck.Value, testkit.SessionCookie(t, fresh, env.CookieName).Value, "CreateSession revived the expired ID")
			assert.Equal(t, 2, rs.Creates())
			assert.Equal(t, 1, env.M.GetSessionSize())
		})
	}
}

// SecurityIDCheckedBeforeStore proves requirement 3: IDs are checked for
// length and alphabet before any store sees them, on every way in: the
// cookie of a request (through the middleware and without it), the methods
// taking an ID, a session creator and Options.SessionLoader.
func SecurityIDCheckedBeforeStore(t *testing.T, newStore NewStore) {
	st := newStore(t)
	rs := &testkit.RecordingStore{Store: st}
	env := testkit.NewStoreEnv(t, rs, manager.Options{})
	_, live := env.Create(t)
	h := testkit.App(env.M)
	bad := malformedIDs()

	for name, value := range bad {
		for _, route := range []string{"/whoami", "/set?k=a&v=b", "/renew", "/destroy", "/invalidate", "/create"} {
			rec := testkit.SendRawCookie(h, route, env.CookieName, value)
			assert.NotEqualf(t, http.StatusInternalServerError, rec.Code, "%s on %s", name, route)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", env.CookieName+"="+value)
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
}

// SecurityOversizedCookieRefusedBeforeDecoding proves requirement 9: a
// session cookie longer than 4096 bytes is refused before it is decoded: the
// ID check never runs on it and no store sees it.
func SecurityOversizedCookieRefusedBeforeDecoding(t *testing.T, newStore NewStore) {
	tests := []struct {
		name       string
		length     int
		wantReason string // what the debug log says of it
	}{
		{name: "at the limit", length: seam.MaxCookieSize, wantReason: "malformed"},
		{name: "one byte over", length: seam.MaxCookieSize + 1, wantReason: "over the 4096-byte limit"},
		{name: "64 KiB", length: 64 << 10, wantReason: "over the 4096-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			rs := &testkit.RecordingStore{Store: st}
			env := testkit.NewStoreEnv(t, rs, manager.Options{})
			// A value an ID check could mistake for an ID if it looked
			// only at a prefix: a valid ID, padded.
			value := testkit.ValidID(3) + strings.Repeat("A", tt.length-seam.IDLength)
			require.Len(t, value, tt.length)

			rec := testkit.SendRawCookie(testkit.App(env.M), "/whoami", env.CookieName, value)
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, "none", rec.Body.String())
			assert.Empty(t, rec.Header().Values("Set-Cookie"))
			assert.Empty(t, rs.Seen(), "the store saw the cookie")
			logged := env.Logs.String()
			assert.Contains(t, logged, tt.wantReason)
			assert.NotContains(t, logged, testkit.ValidID(3), "the log holds the cookie")
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
		"oversized":             strings.Repeat("A", seam.MaxCookieSize+1),
		"4096 bytes":            strings.Repeat("A", seam.MaxCookieSize),
		"valid ID with a colon": valid[:42] + ":",
	}
}
