package session_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/memstore"
	"github.com/stretchr/testify/assert"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/internal/testkit"
)

// Found by FuzzContribCarrier: WriteID and ClearID handed an oversized
// cookie to the store's decoder, which only ReadID refused.
func TestContribCarrierNeverDecodesAnOversizedCookie(t *testing.T) {
	oversized := strings.Repeat("A", seam.MaxCookieSize+1)
	stores := []struct {
		name string
		new  func() sessions.Store
	}{
		{"gin-contrib cookie", func() sessions.Store { return cookie.NewStore(carrierKey) }},
		{"server-side gin-contrib store", newServerSideCarrier},
	}
	routes := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/whoami", http.StatusOK},         // ReadID
		{http.MethodPost, "/create", http.StatusOK},        // WriteID
		{http.MethodPost, "/destroy", http.StatusOK},       // ClearID
		{http.MethodPost, "/login", http.StatusOK},         // WriteID
		{http.MethodGet, "/private", http.StatusForbidden}, // ReadID
	}
	for _, st := range stores {
		for _, route := range routes {
			t.Run(st.name+route.path, func(t *testing.T) {
				watching := &decodeCounter{Store: st.new()}
				m := newTestManager(t, testOptions(testkit.NewClock()), nil)
				app := newApp(session.UseManager(m, watching))
				r := httptest.NewRequest(route.method, route.path, nil)
				r.Header.Set("Cookie", session.DefaultKey+"="+oversized)
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, r)
				assert.Equal(t, route.status, rec.Code)
				assert.Zero(t, watching.oversized.Load(), "the store decoded an oversized cookie")
			})
		}
	}
}

// logRecorder is a slog handler that keeps the records of one test and
// passes each on to the run's log, where TestMain looks for raw IDs.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler {
	panic("logRecorder: WithAttrs is not used")
}
func (l *logRecorder) WithGroup(string) slog.Handler { panic("logRecorder: WithGroup is not used") }

func (l *logRecorder) Handle(ctx context.Context, r slog.Record) error {
	l.mu.Lock()
	l.records = append(l.records, r.Clone())
	l.mu.Unlock()
	return slog.Default().Handler().Handle(ctx, r)
}

// reset forgets what was recorded so far.
func (l *logRecorder) reset() {
	l.mu.Lock()
	l.records = nil
	l.mu.Unlock()
}

// lines returns the records so far as "LEVEL msg key=value ...", without time.
func (l *logRecorder) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		line := r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool {
			line += " " + a.Key + "=" + a.Value.String()
			return true
		})
		out = append(out, line)
	}
	return out
}

// managerWithRecordedLogs returns a test manager on opts whose log lines the
// returned recorder keeps, emptied of what NewManager itself logged.
func managerWithRecordedLogs(t *testing.T, opts session.Options) (*session.Manager, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	opts.Logger = slog.New(rec)
	m := newTestManager(t, opts, nil)
	rec.reset()
	return m, rec
}

// Issue 8, defect 16: the carrier's cookie settings replace the store's own,
// and a change, above all a weaker one, must not go unsaid.
func TestContribCarrierLogsReplacedCookieSettings(t *testing.T) {
	storeWith := func(o sessions.Options) func() sessions.Store {
		return func() sessions.Store {
			st := cookie.NewStore(carrierKey)
			st.Options(o)
			return st
		}
	}
	matching := sessions.Options{Path: "/", MaxAge: 600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	tests := []struct {
		name   string
		secure bool // Options.Secure of the manager
		store  func() sessions.Store
		want   []string
	}{
		{
			name:  "Secure, Strict and MaxAge 3600",
			store: storeWith(sessions.Options{Path: "/", MaxAge: 3600, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}),
			want: []string{"WARN session: the gin-contrib store's own cookie settings are replaced by the manager's; carry them over into session.Options to keep them" +
				" store=*cookie.store changed=Secure true -> false, SameSite Strict -> Lax, MaxAge 3600 -> 600"},
		},
		{
			name:  "gorilla's defaults",
			store: func() sessions.Store { return cookie.NewStore(carrierKey) },
			want: []string{"WARN session: the gin-contrib store's own cookie settings are replaced by the manager's; carry them over into session.Options to keep them" +
				" store=*cookie.store changed=Secure true -> false, HttpOnly false -> true, SameSite None -> Lax, MaxAge 2592000 -> 600"},
		},
		{
			name:   "nothing weakened",
			secure: true,
			store:  storeWith(sessions.Options{Path: "/app", Domain: "example.com", MaxAge: 3600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}),
			want: []string{"INFO session: the gin-contrib store's own cookie settings are replaced by the manager's; carry them over into session.Options to keep them" +
				" store=*cookie.store changed=MaxAge 3600 -> 600, Path /app -> /, Domain example.com -> (host only)"},
		},
		{
			name:   "matching options",
			secure: true,
			store:  storeWith(matching),
			want:   nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(testkit.NewClock())
			opts.Secure = tt.secure
			m, logged := managerWithRecordedLogs(t, opts)
			session.UseManager(m, tt.store())
			assert.Equal(t, tt.want, logged.lines())
		})
	}
}

// errMemstoreCarrier is the startup panic for the gin-contrib memstore.
const errMemstoreCarrier = "session: the gin-contrib memstore cannot carry the session ID: it never removes an entry," +
	" so every session that expires or is abandoned would leave one in memory for the life of the process;" +
	" pass a nil store (the built-in cookie) or cookie.NewStore"

// Issue 8, defect 11: the gin-contrib memstore (quasoft/memstore) keeps a
// server-side entry per carrier session and never expires one, so as a
// carrier it would grow with every session ever made. It is refused when the
// middleware is built, before a single request.
func TestContribCarrierRefusesMemstore(t *testing.T) {
	t.Run("UseManager", func(t *testing.T) {
		m := newTestManager(t, testOptions(testkit.NewClock()), nil)
		assert.PanicsWithError(t, errMemstoreCarrier, func() { session.UseManager(m, memstore.NewStore(carrierKey)) })
	})
	t.Run("UseSession", func(t *testing.T) {
		assert.PanicsWithError(t, errMemstoreCarrier, func() {
			session.UseSession(testOptions(testkit.NewClock()), memstore.NewStore(carrierKey), nil)
		})
	})
}

// Issue 8, defect 11: a store sessionkit does not know may keep server-side
// entries it never expires. It is allowed (it may be a signed cookie behind a
// wrapper, or a database whose cleanup the application runs), with one
// warning at startup that says what to check; the stores it knows to be
// bounded log nothing of the kind.
func TestContribCarrierWarnsOnAnUnknownStore(t *testing.T) {
	const unknownStore = "WARN session: cannot tell whether this gin-contrib store removes the entries it keeps on the server;" +
		" a session that ends by logout or renewal takes its entry along, one that expires leaves it to the store's own expiry" +
		" store=*session_test.decodeCounter advice=pass a nil store (the built-in cookie) or cookie.NewStore;" +
		" with a server-side store, turn its expiry on (gorm: expiredSessionCleanup, mongo: ensureTTL, postgres: pgstore's Cleanup)"
	opts := testOptions(testkit.NewClock())
	opts.Secure = true
	matching := sessions.Options{Path: "/", MaxAge: 600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}

	m, logged := managerWithRecordedLogs(t, opts)
	wrapped := cookie.NewStore(carrierKey)
	wrapped.Options(matching)
	session.UseManager(m, &decodeCounter{Store: wrapped})
	assert.Equal(t, []string{unknownStore}, logged.lines())

	logged.reset()
	known := cookie.NewStore(carrierKey)
	known.Options(matching)
	session.UseManager(m, known)
	assert.Empty(t, logged.lines(), "gin-contrib's cookie store keeps nothing on the server")
}
