package manager

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/store"
)

// Options configures a [Manager]. The zero value is usable: each field's
// comment gives the default that its zero value stands for.
type Options struct {
	// Path is the cookie's Path attribute. "" means "/".
	Path string

	// Domain is the cookie's Domain attribute. "" means a host-only cookie.
	Domain string

	// MaxAge is the absolute lifetime of a session in seconds, counted from
	// its creation and not extended by use or renewal; it is also the
	// cookie's Max-Age. 0 means 86400 (one day). A negative value means no
	// absolute limit and a cookie that ends with the browser session. At
	// most 3,155,760,000 (100 years), so that every deadline stays a time the
	// stores and cookies can hold; NewManager panics above it. (Browsers keep
	// a cookie at most 400 days whatever its Max-Age.)
	MaxAge int

	// Secure sends the cookie over HTTPS only. Default false, so that the
	// example runs on plain HTTP; set it in production. While it is off, the
	// first manager that starts so, with a Logger that shows warnings, logs
	// one warning; the process logs it once however many managers it makes.
	Secure bool

	// HttpOnly is a kept name, and ignored: cookies are always HttpOnly
	// (unreadable by page scripts) whether or not it is set.
	// ScriptReadableCookie is the Go-style option: it turns HttpOnly off.
	HttpOnly bool

	// MaxInactiveInterval is the idle timeout in seconds: a session not used
	// for this long is destroyed. 0 means 1800 (30 minutes). A negative
	// value means no idle limit. At most 3,155,760,000 (100 years), as
	// MaxAge; NewManager panics above it.
	MaxInactiveInterval int64

	// GcInterval is the sweep interval, in seconds: how often the manager
	// runs [Manager.Sweep] to destroy expired sessions. 0 means 60. Expiry does not wait for the sweeper: every
	// lookup enforces it too; the sweeper fires Destroyed for sessions no
	// request comes back to, and frees their memory. From 0 to 86400 (one
	// day); NewManager panics outside: a session that no request comes back
	// to would otherwise be reported destroyed, and would count toward
	// MaxSessions, more than a day after it ended.
	GcInterval int

	// GcStopChan stops the sweeper when it is closed. nil means that only
	// [Manager.Close] stops it; Close is the Go-style way, and also closes
	// the store the manager made.
	GcStopChan <-chan struct{}

	// SessionLoader, when set, is called once by NewManager; the sessions it
	// returns are live when NewManager returns. Each keeps its ID, its last
	// access time, its creation time (see RestoreSession; a session from
	// NewSession has none and counts as created at its last access, so its
	// absolute lifetime starts again), and the values of a *MemSession. Sessions with an
	// invalid ID, already expired, or whose ID is taken are skipped with a
	// warning. Loading fires no Created event; loaded sessions fire Update
	// and Destroyed like any other.
	SessionLoader func() []Session

	// CookieName is the name of the session cookie. "" means
	// "session-key". A name starting with "__Host-"
	// requires Secure, Path "/" and no Domain; one starting with
	// "__Secure-" requires Secure. Browsers read the prefixes in any case
	// ("__HOST-" too), and so does NewManager, which panics when what they
	// require is missing.
	CookieName string

	// SameSite is the cookie's SameSite attribute. 0 means
	// http.SameSiteLaxMode; http.SameSiteDefaultMode leaves the attribute
	// out, for the browser's own default. NewManager panics on a value that
	// is not one of net/http's constants, which net/http would silently
	// leave out.
	SameSite http.SameSite

	// Store keeps the sessions. nil means a new in-memory store that the
	// manager owns and closes in Close. A store passed here is not closed by
	// the manager: it may be shared. Close it after the manager; a store
	// from store.OpenMemory saves its sessions then, for the next start.
	Store store.Store

	// MaxSessions caps the number of sessions in the in-memory store the
	// manager makes when Store is nil. Set beside a Store, it makes
	// NewManager panic: a store passed in carries its own cap, if any (see
	// store.WithMaxSessions). Past the cap, CreateSession fails with
	// store.ErrTooManySessions (the default ErrorHandler answers 503) and a
	// warning is logged at most once a minute; sessions that end make room.
	// 0 means 1,000,000: at a few hundred bytes a session plus its values,
	// several hundred MB, where no cap lets anyone who can start sessions
	// exhaust memory. Negative means no cap. Any int is valid.
	MaxSessions int

	// ErrorHandler answers a request whose session could not be loaded or
	// stored; err wraps the store's own error. nil means: log the error and
	// answer, with only the status text in the body, 503 Service Unavailable
	// when the store could not be reached (store.ErrUnavailable, or a
	// net.Error from a store that does not wrap it), is closed
	// (store.ErrClosed), did not answer in time (context.DeadlineExceeded)
	// or is full (store.ErrTooManySessions, logged only at debug level: see
	// MaxSessions); 409 Conflict for ErrSessionRenewed; 500 Internal Server
	// Error otherwise (a record that cannot be read, say). A handler that
	// writes nothing (one that only logs) gets that default status sent for
	// it, never a 200 (see [Manager.HandleError]).
	ErrorHandler func(http.ResponseWriter, *http.Request, error)

	// ScriptReadableCookie sends the cookie without HttpOnly, so that page
	// scripts can read the session ID. Default false; almost never what you
	// want. While it is on, the first manager that starts so, with a Logger
	// that shows warnings, logs one warning, once per process.
	ScriptReadableCookie bool

	// Logger receives the manager's log lines. None holds a raw session ID,
	// nor a user name (user names are often e-mail addresses: the manager
	// logs none, masked or not). nil means slog.Default().
	Logger *slog.Logger

	// Clock tells the time. nil means time.Now. Tests set it to move time
	// forward without sleeping. The manager strips the monotonic reading
	// from every time it tells, so that every deadline compares by the wall
	// clock alone.
	Clock func() time.Time

	// Rand is the source of session IDs. nil means crypto/rand.Reader. A
	// read that fails makes session creation fail.
	Rand io.Reader

	// StoreWriteTimeout bounds each store write that creates, changes,
	// renews or ends a session. Such a write does not stop when the request
	// is cancelled: a client that goes away in the middle of a logout must
	// not leave the session alive. 0 means 5 seconds; at most 10 minutes.
	StoreWriteTimeout time.Duration

	// MaxSessionsPerUser caps the live sessions bound to one user by
	// [Manager.Login]: after a login binds a session, the user's oldest
	// other sessions beyond the cap are destroyed (Destroyed fires for
	// each; the session just bound is never one of them). Concurrent
	// logins of one user, on any instances, never leave more than the cap,
	// but may leave fewer: each spares its own session and may end one that
	// another login just bound. A store failure while enforcing it is
	// logged and the login stands; the next login enforces it again. 0
	// means no cap. Negative values make NewManager panic.
	MaxSessionsPerUser int

	// MaxLifetime is the longest absolute lifetime, in seconds counted from
	// a session's creation, that [Manager.SetLifetime] may give a session
	// ("remember me"). 0 means MaxAge: no session outlives the default
	// unless the operator raises this. From MaxAge (after its default) to
	// 3,155,760,000 (100 years); with a negative MaxAge (no absolute limit)
	// it must be 0. NewManager panics outside.
	MaxLifetime int
}

// Defaults for the zero values of Options.
const (
	defaultMaxAge      = 86400
	defaultIdleTimeout = 1800
	defaultGcInterval  = 60
	defaultMaxSessions = 1_000_000

	defaultStoreWriteTimeout = 5 * time.Second
	maxStoreWriteTimeout     = 10 * time.Minute
)

// Upper bounds of the numeric options, in seconds.
const (
	// maxTimeout bounds MaxAge and MaxInactiveInterval at 100 years: far
	// beyond any session anyone means, and far within what a time.Duration
	// (292 years) and Unix nanoseconds (the year 2262) can hold, so that no
	// deadline or cookie lifetime computed from them overflows.
	maxTimeout int64 = 36525 * 24 * 60 * 60 // 100 years of 365.25 days
	// maxGcInterval bounds GcInterval at one day.
	maxGcInterval = 24 * 60 * 60
)

// withDefaults returns o with every zero value replaced by its default. It
// panics on a configuration that cannot work, so the mistake shows at
// startup instead of as cookies that browsers silently drop.
func (o Options) withDefaults() Options {
	if err := o.checkRanges(); err != nil {
		panic(err)
	}
	if o.Path == "" {
		o.Path = "/"
	}
	if o.MaxAge == 0 {
		o.MaxAge = defaultMaxAge
	}
	if o.MaxInactiveInterval == 0 {
		o.MaxInactiveInterval = defaultIdleTimeout
	}
	if o.GcInterval == 0 {
		o.GcInterval = defaultGcInterval
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = defaultMaxSessions
	}
	if o.CookieName == "" {
		o.CookieName = seam.DefaultCookieName
	}
	if o.SameSite == 0 {
		o.SameSite = http.SameSiteLaxMode
	}
	o.HttpOnly = !o.ScriptReadableCookie
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Clock = wallClock(o.Clock)
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.StoreWriteTimeout == 0 {
		o.StoreWriteTimeout = defaultStoreWriteTimeout
	}
	if err := o.checkCookie(); err != nil {
		panic(err)
	}
	return o
}

// wallClock returns a clock that tells what clock (nil: time.Now) tells,
// without the monotonic reading. Session times are stored, compared by
// stores (whose expiry heaps and Redis scores use the wall clock) and
// compared again here; a time that keeps its monotonic reading compares by
// it against another that has one, and by the wall clock otherwise, so
// after the wall clock steps (NTP, a resumed VM or laptop) the manager and
// the store would disagree on whether a session expired. Stripping every
// reading at its one source keeps all of them on the wall clock.
func wallClock(clock func() time.Time) func() time.Time {
	if clock == nil {
		clock = time.Now
	}
	return func() time.Time { return clock().Round(0) }
}

// checkRanges refuses numeric options outside the range written on their
// fields, before defaults replace the zero values.
func (o Options) checkRanges() error {
	switch {
	case int64(o.MaxAge) > maxTimeout:
		return fmt.Errorf("session: Options.MaxAge is %d seconds, more than 100 years (%d): deadlines that far cannot be kept", o.MaxAge, maxTimeout)
	case o.MaxInactiveInterval > maxTimeout:
		return fmt.Errorf("session: Options.MaxInactiveInterval is %d seconds, more than 100 years (%d): deadlines that far cannot be kept", o.MaxInactiveInterval, maxTimeout)
	case o.GcInterval < 0 || o.GcInterval > maxGcInterval:
		return fmt.Errorf("session: Options.GcInterval is %d seconds; it must be 0 (the default, 60) to %d (one day)", o.GcInterval, maxGcInterval)
	case o.StoreWriteTimeout < 0 || o.StoreWriteTimeout > maxStoreWriteTimeout:
		return fmt.Errorf("session: Options.StoreWriteTimeout %v is out of range: it must be between 0 (the default, %v) and %v",
			o.StoreWriteTimeout, defaultStoreWriteTimeout, maxStoreWriteTimeout)
	case o.Store != nil && o.MaxSessions != 0:
		return fmt.Errorf("session: Options.MaxSessions is %d beside Options.Store: it caps only the in-memory store NewManager makes when Store is nil; set the cap on the store you pass instead (store.NewMemory(store.WithMaxSessions(n)))", o.MaxSessions)
	case o.SameSite < 0 || o.SameSite > http.SameSiteNoneMode:
		return fmt.Errorf("session: Options.SameSite is %d, which is none of net/http's SameSite constants", o.SameSite)
	case o.MaxSessionsPerUser < 0:
		return fmt.Errorf("session: Options.MaxSessionsPerUser is %d; it must be 0 (no cap) or more", o.MaxSessionsPerUser)
	}
	return o.checkMaxLifetime()
}

// checkMaxLifetime refuses a MaxLifetime that would let SetLifetime do less
// than the default allows, or more than any deadline can hold.
func (o Options) checkMaxLifetime() error {
	maxAge := o.MaxAge
	if maxAge == 0 {
		maxAge = defaultMaxAge
	}
	switch {
	case o.MaxLifetime == 0:
		return nil
	case maxAge < 0:
		return fmt.Errorf("session: Options.MaxLifetime is %d beside a negative MaxAge: sessions have no absolute limit to extend; leave MaxLifetime 0", o.MaxLifetime)
	case o.MaxLifetime < maxAge:
		return fmt.Errorf("session: Options.MaxLifetime is %d seconds, less than MaxAge (%d): the longest lifetime a session may ask for cannot be below the default one", o.MaxLifetime, maxAge)
	case int64(o.MaxLifetime) > maxTimeout:
		return fmt.Errorf("session: Options.MaxLifetime is %d seconds, more than 100 years (%d): deadlines that far cannot be kept", o.MaxLifetime, maxTimeout)
	}
	return nil
}

// hasPrefixFold reports whether name begins with prefix in any case, as
// browsers match the cookie name prefixes.
func hasPrefixFold(name, prefix string) bool {
	return len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix)
}

// checkCookie refuses options whose cookie a browser would reject.
func (o Options) checkCookie() error {
	probe := o.cookie("", 0)
	probe.Value = strings.Repeat("A", seam.IDLength)
	if err := probe.Valid(); err != nil {
		return fmt.Errorf("session: invalid cookie options: %w", err)
	}
	if o.SameSite == http.SameSiteNoneMode && !o.Secure {
		return fmt.Errorf("session: SameSite=None needs Secure: browsers drop the cookie otherwise")
	}
	switch {
	case hasPrefixFold(o.CookieName, "__Host-"):
		if !o.Secure || o.Path != "/" || o.Domain != "" {
			return fmt.Errorf("session: cookie name %q needs Secure, Path \"/\" and no Domain", o.CookieName)
		}
	case hasPrefixFold(o.CookieName, "__Secure-"):
		if !o.Secure {
			return fmt.Errorf("session: cookie name %q needs Secure", o.CookieName)
		}
	}
	return nil
}

// cookie returns the session cookie carrying value. maxAge is in seconds: 0
// leaves Max-Age out (a browser-session cookie), a negative value deletes.
func (o Options) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     o.CookieName,
		Value:    value,
		Path:     o.Path,
		Domain:   o.Domain,
		MaxAge:   maxAge,
		Secure:   o.Secure,
		HttpOnly: o.HttpOnly,
		SameSite: o.SameSite,
	}
}

// idleTimeout is MaxInactiveInterval as a duration; 0 means none.
func (o Options) idleTimeout() time.Duration {
	if o.MaxInactiveInterval < 0 {
		return 0
	}
	return time.Duration(o.MaxInactiveInterval) * time.Second
}

// lifetime is MaxAge as a duration; 0 means none.
func (o Options) lifetime() time.Duration {
	if o.MaxAge < 0 {
		return 0
	}
	return time.Duration(o.MaxAge) * time.Second
}

// longestLifetime is the longest absolute lifetime SetLifetime may give a
// session: MaxLifetime, or else MaxAge; 0 means no limit.
func (o Options) longestLifetime() time.Duration {
	if o.MaxLifetime > 0 {
		return time.Duration(o.MaxLifetime) * time.Second
	}
	return o.lifetime()
}

// Warnings about settings that weaken the cookie.
const (
	warnNotSecure      = "session: cookie is sent without Secure, so it also travels over plain HTTP; set Options.Secure when serving HTTPS"
	warnScriptReadable = "session: cookie is sent without HttpOnly, so page scripts can read the session ID (Options.ScriptReadableCookie)"
)

// insecureWarned holds the insecure-cookie warnings this process has logged.
// A program that makes many managers with the same settings (a test suite
// that builds an engine per test, 100 UseSession calls) learns once what it
// weakened, not once per manager.
var insecureWarned sync.Map // warning -> struct{}

// warnInsecure logs each setting that weakens the cookie, once per process
// for each distinct warning: the first manager with the setting whose
// Logger emits warnings logs it, later ones stay quiet.
func (o Options) warnInsecure() {
	if !o.Secure {
		o.warnOnce(warnNotSecure)
	}
	if o.ScriptReadableCookie {
		o.warnOnce(warnScriptReadable)
	}
}

func (o Options) warnOnce(warning string) {
	// A logger that drops warnings (one that discards, or logs errors
	// only) must not spend the process's one warning: the manager that
	// would show it comes later.
	if !o.Logger.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	if _, logged := insecureWarned.LoadOrStore(warning, struct{}{}); !logged {
		o.Logger.Warn(warning)
	}
}
