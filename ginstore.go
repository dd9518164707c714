package session

import (
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-contrib/sessions"
	gsessions "github.com/gorilla/sessions"
)

// NewGinStore returns a gin-contrib sessions.Store backed by m, so that an
// application written for gin-contrib/sessions changes one line and keeps
// every handler:
//
//	r.Use(sessions.Sessions("mysession", session.NewGinStore(m)))
//
// Handlers keep calling sessions.Default(c) and its Get, Set, Delete, Clear,
// AddFlash, Flashes, Options, Save and ID, which behave as with gin-contrib's
// own stores, while the session lives in m: its idle and absolute timeouts
// hold on the server, its events fire, it counts in GetSessionSize, and
// m.DestroySessionById ends it. The cookie, named as the gin-contrib session
// is, carries only the session ID, however large the values.
//
// What changes from gin-contrib's stores:
//
//   - Save on a request without a session stores nothing and sends no cookie
//     while the session holds no values; the first value makes a session
//     (firing Created). Values are compared with what the request found, and
//     only changed keys are written, so two requests that set different keys
//     both keep theirs.
//   - Options(sessions.Options{MaxAge: -1}) and Save destroy the session on
//     the server (firing Destroyed once) and expire the cookie: replaying the
//     old cookie finds nothing; so does every Save while the store's own
//     Options have a negative MaxAge, with which gin-contrib keeps nothing.
//     Clear and Save empty the values and keep the session, as in
//     gin-contrib.
//   - Options with a positive MaxAge and Save ("remember me") give the
//     session an absolute lifetime of MaxAge seconds on the server, within
//     m's Options.MaxLifetime (see manager.Manager.SetLifetime), and the
//     cookie's Max-Age follows it.
//   - Keys must be strings; Save returns manager.ErrInvalidKey for others.
//     Values follow the rules of m's store (see manager.Session's Set).
//   - ID returns the session's masked ID (manager.Session's
//     GetMaskedSessionId), which is safe to log; "" before a session exists.
//
// Cookie attributes follow gin-contrib's rule where the application sets
// them: options given to the store's Options, or to a session's Options,
// replace the whole set (a field left out is left out of the cookie, and
// MaxAge 0 makes a cookie that ends with the browser session). Where it
// sets none, the cookie is the manager's: Path, Domain and Secure from
// m's Options, HttpOnly, SameSite=Lax, and a Max-Age that ends with the
// session's absolute deadline. Options that turn HttpOnly or SameSite off,
// or that leave Secure out while m's Options.Secure is on, are logged as a
// warning, once per store.
//
// A store error while loading cannot reach an error response through
// gin-contrib's middleware, which logs Get's error and goes on: its
// session is then nil and the handler's first use of it panics (gin's
// Recovery answers 500) rather than see an empty session. [Sessions]
// installs the same middleware behind sessionkit's, which answers such a
// request through Options.ErrorHandler instead (503 by default) and also
// stores changes before the response's first byte, and adds "Vary: Cookie"
// to every response (through gin-contrib's middleware, only a response
// whose handler saved gets it). A failed Save is answered through
// Options.ErrorHandler whether or not the handler looks at its error.
//
// Through gin-contrib's middleware, Save is where a request's changes are
// stored: the first Save that stores anything ends the request's chance to
// send cookies, so a later Save in the same request that must create a
// session or expire its cookie returns manager.ErrHeadersWritten (a logout
// then still ends the session on the server). [Sessions] has no such limit
// before the response starts. Under either, a Save after the handler wrote
// its response (c.JSON, then Save) cannot send a cookie: it returns
// manager.ErrHeadersWritten where it would have to (a new session is then
// not made), and stores the changes of a session that exists.
//
// A handler's Save keeps the session ID the request came with, as
// gin-contrib's server-side stores do, so a session that existed before
// login, planted in a victim's browser, would be logged in too. The
// option [RenewWhenSet] names the keys a login sets, and a Save that sets
// one renews the ID under either middleware; under [Sessions] a login
// handler may instead call [RenewSession].
//
// NewGinStore panics when m is nil.
func NewGinStore(m *Manager, opts ...GinStoreOption) sessions.Store {
	if m == nil {
		panic(errors.New("session: NewGinStore needs a manager"))
	}
	st := &ginStore{m: m}
	for _, o := range opts {
		o(st)
	}
	return st
}

// ginStore is the store NewGinStore returns. Its per-request work is done
// by a ginRequest, which the gorilla session it hands out points to.
type ginStore struct {
	m *Manager

	mu sync.Mutex
	// opts are the options the application gave Options; nil while it gave
	// none, so that the manager's cookie applies.
	opts *sessions.Options
	// renewKeys are the keys whose setting renews the session's ID (see
	// RenewWhenSet); set at construction only.
	renewKeys []string

	warnedStore, warnedSession             sync.Once
	warnedStoreSecure, warnedSessionSecure sync.Once
}

var _ sessions.Store = (*ginStore)(nil)

// Options sets the cookie attributes of every session of the store,
// replacing the manager's whole set (see [NewGinStore]).
func (st *ginStore) Options(o sessions.Options) {
	st.mu.Lock()
	st.opts = &o
	st.mu.Unlock()
	if weakCookie(o.ToGorillaOptions()) {
		st.warnedStore.Do(func() { st.warnWeak("the store's Options") })
	}
	if st.dropsSecure(o.Secure) {
		st.warnedStoreSecure.Do(func() { st.warnInsecure("the store's Options") })
	}
}

// appOptions returns the options the application gave the store, if any.
func (st *ginStore) appOptions() (sessions.Options, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.opts == nil {
		return sessions.Options{}, false
	}
	return *st.opts, true
}

// weakCookie reports whether o sends the cookie without HttpOnly or without
// a SameSite that stops cross-site requests from carrying it.
func weakCookie(o *gsessions.Options) bool {
	return !o.HttpOnly || o.SameSite == http.SameSiteNoneMode || o.SameSite == http.SameSiteDefaultMode || o.SameSite == 0
}

func (st *ginStore) warnWeak(where string) {
	hooks.Cookie(st.m).Logger.Warn("session: the gin-contrib options given to "+where+" turn the session cookie's HttpOnly or SameSite off;"+
		" page scripts may read it, or cross-site requests carry it; set HttpOnly: true and SameSite: http.SameSiteLaxMode",
		"where", where)
}

// dropsSecure reports whether options whose Secure is secure send the
// cookie over plain HTTP where the manager's own cookie would not: an app's
// gin-contrib options, written before it moved to a manager with Secure
// on, replace it silently (gin-contrib's rule) and the ID then travels in
// clear text.
func (st *ginStore) dropsSecure(secure bool) bool {
	return !secure && hooks.Cookie(st.m).Template.Secure
}

func (st *ginStore) warnInsecure(where string) {
	hooks.Cookie(st.m).Logger.Warn("session: the gin-contrib options given to "+where+" send the session cookie without Secure though the manager's Options.Secure is on;"+
		" the session ID then also travels over plain HTTP; set Secure: true",
		"where", where)
}

// Get returns the request's session named name. Through [Sessions] it is
// the one sessionkit's middleware loaded; otherwise it is loaded now, and a
// store failure is returned with a nil session (see [NewGinStore]).
func (st *ginStore) Get(r *http.Request, name string) (*gsessions.Session, error) {
	if q := requestOf(r, st, name); q != nil {
		return q.session(), nil
	}
	q, err := st.begin(nil, r, name)
	if err != nil {
		return nil, err
	}
	return q.session(), nil
}

// New is Get: a request has one session of each name.
func (st *ginStore) New(r *http.Request, name string) (*gsessions.Session, error) {
	return st.Get(r, name)
}

// Save saves s, a session from another store's Get, which this store
// cannot do: the sessions it hands out save through their own request.
func (st *ginStore) Save(r *http.Request, w http.ResponseWriter, s *gsessions.Session) error {
	if q, ok := s.Store().(*ginRequest); ok && q.store == st {
		return q.Save(r, w, s)
	}
	return fmt.Errorf("session: NewGinStore's store cannot save session %q: it did not come from the store's Get", s.Name())
}
