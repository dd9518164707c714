package session

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"time"

	"github.com/gin-contrib/sessions"
	gsessions "github.com/gorilla/sessions"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/manager"
)

// ginRequest is the work of one request on one session of a ginStore: the
// sessionkit scope that found the session, the gorilla session handed to
// gin-contrib's middleware, and what that session held when handed out.
// It is the gorilla session's store, so that gin-contrib's Save reaches it,
// and the scope's carrier, so that the cookie follows the gin-contrib
// options in force.
type ginRequest struct {
	store *ginStore
	name  string
	sc    scope
	// late is the writer of a scope begun by Get, bound to the response at
	// Save; nil for a scope begun by Sessions, which writes to the response.
	late *lateWriter
	// cameWith is the ID of the session the request came with, "" if none:
	// a login renews the session only while it still has that ID.
	cameWith string

	gs *gsessions.Session // nil until gin-contrib's middleware asks
	// shown is the session whose values gs shows, nil for none: another
	// session in the scope (Login as another user, CreateSession,
	// DestroySession) means gs shows a session that is gone.
	shown Session
	// loaded holds, for each key, a copy of the value the session had when
	// handed out or last saved: Save writes only the keys that differ.
	loaded map[string]any
	// handed is the Options pointer the gorilla session was handed out
	// with, or saved with last: another one means the handler called the
	// session's Options.
	handed *gsessions.Options
	// own are the options the handler gave the session; nil while it gave
	// none, so that the store's apply.
	own *sessions.Options
	// holdCookie keeps WriteID from sending the cookie of a session being
	// created whose lifetime SetLifetime sets next: that sends it, once.
	holdCookie bool
}

var (
	_ gsessions.Store = (*ginRequest)(nil)
	_ seam.Carrier    = (*ginRequest)(nil)
)

// begin starts the request's work on its session named name. w is the
// writer the scope writes cookies and error responses to; nil means a Get
// through gin-contrib's own middleware, whose writer only Save brings.
func (st *ginStore) begin(w http.ResponseWriter, r *http.Request, name string) (*ginRequest, error) {
	q := &ginRequest{store: st, name: name}
	if w == nil {
		q.late = &lateWriter{}
		w = q.late
	}
	sc, err := hooks.Begin(st.m, w, r, q)
	if err != nil {
		return nil, err
	}
	q.sc = sc
	if s := sc.Session(); s != nil {
		q.cameWith = s.GetId()
	}
	return q, nil
}

// session returns the gorilla session that gin-contrib's middleware works
// on, made on first use from the sessionkit session the request found.
func (q *ginRequest) session() *gsessions.Session {
	if q.gs != nil {
		return q.gs
	}
	q.gs = gsessions.NewSession(q, q.name)
	q.gs.Options = q.options().ToGorillaOptions()
	q.handed = q.gs.Options
	q.loaded = map[string]any{}
	q.show(q.sc.Session())
	return q.gs
}

// show makes gs show s (nil: no session) as it is in the scope now, and
// what Save compares the handler's values with.
func (q *ginRequest) show(s Session) {
	clear(q.gs.Values)
	clear(q.loaded)
	q.gs.ID, q.gs.IsNew = "", true
	q.shown = s
	if s == nil {
		return
	}
	q.gs.ID, q.gs.IsNew = s.GetMaskedSessionId(), false
	for _, k := range s.Keys() {
		// Two copies: the handler may change the one it is handed in
		// place, which Save must see as a change.
		q.gs.Values[k], _ = s.Get(k)
		q.loaded[k], _ = s.Get(k)
	}
}

// follow makes gs show the scope's session once it replaced the one gs
// shows: a handler that holds gs across Login as another user,
// CreateSession or DestroySession must see (and Save into) the session the
// request has now, not the previous user's values. A renewal keeps the
// session, and the handler's unsaved changes with it. The carrier's
// WriteID and ClearID call it, since every replacement sends a cookie.
func (q *ginRequest) follow() {
	if q.gs == nil {
		return // not handed out yet: session() shows what the scope has then
	}
	if s := q.sc.Session(); s != q.shown {
		q.show(s)
	}
}

// Get and New make gin-contrib's Session call, should a handler reach the
// gorilla session's store, give the request's session.
func (q *ginRequest) Get(*http.Request, string) (*gsessions.Session, error) { return q.session(), nil }

// New is Get.
func (q *ginRequest) New(r *http.Request, name string) (*gsessions.Session, error) {
	return q.Get(r, name)
}

// Save stores what the handler did to gs since it was handed out or last
// saved. A failure is returned and also answered through the manager's
// error handler: before the response's first byte under [Sessions], at
// once otherwise.
func (q *ginRequest) Save(r *http.Request, w http.ResponseWriter, gs *gsessions.Session) error {
	if gs != q.gs {
		return fmt.Errorf("session: session %q was not handed out for this request", gs.Name())
	}
	if q.late != nil {
		q.late.bind(w)
		if q.late.started() {
			// The handler answered before it saved: no cookie can follow.
			// Committing now (nothing is held yet) tells the scope so,
			// and a Save that must create a session or send its cookie
			// returns ErrHeadersWritten instead of making a session that
			// no cookie carries; a change to a session that exists is
			// written through.
			q.sc.CommitBeforeWrite()
		}
	}
	err := q.save(r, w)
	if err != nil {
		q.sc.Fail(err)
	}
	if q.late == nil || (err == nil && q.sc.Session() == nil) {
		return err // nothing held for a commit (a later Save may create)
	}
	if !q.sc.CommitBeforeWrite() && err == nil {
		// Nothing but gin-contrib's Save ends such a request's work: the
		// scope commits here, and its failure has been answered.
		err = manager.ErrCommitFailed
	}
	return err
}

func (q *ginRequest) save(r *http.Request, w http.ResponseWriter) error {
	gs := q.gs
	ownChanged := false
	if gs.Options != q.handed && gs.Options != nil {
		o := gs.Options
		q.own = &sessions.Options{Path: o.Path, Domain: o.Domain, MaxAge: o.MaxAge, Secure: o.Secure, HttpOnly: o.HttpOnly, SameSite: o.SameSite}
		q.handed, ownChanged = o, true
		if o.MaxAge >= 0 && weakCookie(o) {
			q.store.warnedSession.Do(func() { q.store.warnWeak("a session's Options") })
		}
		if o.MaxAge >= 0 && q.store.dropsSecure(o.Secure) {
			q.store.warnedSessionSecure.Do(func() { q.store.warnInsecure("a session's Options") })
		}
	}
	if q.options().MaxAge < 0 {
		// gin-contrib's logout: here it ends the session on the server too.
		// The options may be the store's: gin-contrib keeps nothing then.
		err := q.sc.Destroy()
		if err == nil {
			gs.ID, gs.IsNew = "", true
			clear(q.loaded)
		}
		return err
	}

	changed, deleted, err := q.changes(gs.Values)
	if err != nil {
		return err
	}
	// A positive MaxAge of the handler's own is the session's lifetime
	// ("remember me"), as it was the cookie's with gin-contrib.
	var lifetime time.Duration
	if q.own != nil && q.own.MaxAge > 0 {
		// A MaxAge past what a Duration holds (292 years: "forever")
		// would overflow into a negative lifetime; SetLifetime caps the
		// longest one at MaxLifetime anyway.
		lifetime = time.Duration(math.MaxInt64)
		if int64(q.own.MaxAge) < math.MaxInt64/int64(time.Second) {
			lifetime = time.Duration(q.own.MaxAge) * time.Second
		}
	}
	s := q.sc.Session()
	if s != nil {
		// Before anything is written: a login the renewal fails for is
		// not kept on the ID an attacker may have planted.
		if s, err = q.renewForLogin(s, changed); err != nil {
			return err
		}
	}
	// The values compared were the handler's view of s (a session created
	// below starts from them): a cookie sent from here on is no
	// replacement for follow to undo.
	q.shown = s
	switch {
	case s == nil && len(changed) == 0:
		return nil // nothing to keep: no session, no cookie
	case s == nil:
		// Ask before creating: a value the store would refuse must not
		// leave an empty session (Created fired, a cookie sent) behind.
		for k, v := range changed {
			if err := hooks.CheckValue(q.store.m, k, v); err != nil {
				return err
			}
		}
		q.holdCookie = lifetime > 0
		s, err = q.sc.Create()
		q.holdCookie = false
		if err != nil {
			return err
		}
		gs.ID, gs.IsNew = s.GetMaskedSessionId(), false
		if lifetime > 0 {
			// Should this fail, the request fails (see SetLifetime) and
			// the session, whose cookie never went out, idles away.
			if err := q.setLifetime(r, w, lifetime); err != nil {
				return err
			}
		}
	case ownChanged && lifetime > 0:
		if err := q.setLifetime(r, w, lifetime); err != nil {
			return err
		}
	case ownChanged:
		// The cookie of a session that exists carries the options it was
		// sent with: send it again with the handler's.
		if err := q.resendCookie(w, r, s.GetId()); err != nil {
			return err
		}
	}
	// The session may have been renewed since it was handed out
	// (RenewSession beside gin-contrib's API): ID names it as it is now.
	gs.ID = s.GetMaskedSessionId()
	q.shown = s
	for k, v := range changed {
		if err := s.Set(k, v); err != nil {
			return err
		}
		q.loaded[k], _ = s.Get(k)
	}
	for _, k := range deleted {
		if err := s.Delete(k); err != nil {
			return err
		}
		delete(q.loaded, k)
	}
	return nil
}

// changes compares values, the gorilla session's, with what the session
// held: the keys set to a new value, and the keys removed. A key that is
// not a non-empty string is refused before anything is stored.
func (q *ginRequest) changes(values map[any]any) (changed map[string]any, deleted []string, err error) {
	changed = map[string]any{}
	for k, v := range values {
		key, ok := k.(string)
		if !ok || key == "" {
			return nil, nil, fmt.Errorf("session: gin-contrib session %q has a key of type %T: %w", q.name, k, manager.ErrInvalidKey)
		}
		if v == nil {
			continue // gin-contrib reads a nil value as absent, as Get here does
		}
		if old, had := q.loaded[key]; !had || differs(old, v) {
			changed[key] = v
		}
	}
	for k := range q.loaded {
		if v, ok := values[k]; !ok || v == nil {
			deleted = append(deleted, k)
		}
	}
	return changed, deleted, nil
}

// differs reports whether v, the handler's value, differs from old, the
// copy kept when it was handed out. A map, slice or pointer that is the
// very one kept (a value the session does not copy) may have been changed
// in place, so it always differs.
func differs(old, v any) bool {
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(v)
	switch nv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer:
		if ov.Kind() == nv.Kind() && ov.Pointer() == nv.Pointer() {
			return true
		}
	}
	return !reflect.DeepEqual(old, v) && !equalWithNaN(ov, nv)
}

// maxCompareDepth bounds equalWithNaN on a value that nests deeper than a
// session keeps (or contains itself): such a value counts as changed, and
// Set then says why it cannot be stored.
const maxCompareDepth = 1000

// equalWithNaN is reflect.DeepEqual, except that a NaN equals a NaN, so
// that a value holding one, which the handler left alone, is not a change:
// writing it back would fire an Update and undo another request's change
// to it. It is asked only once DeepEqual said no.
func equalWithNaN(a, b reflect.Value) bool {
	return (&nanComparer{}).equal(a, b, 0)
}

// comparedPair names two containers compared with each other, as
// reflect.DeepEqual's visit does.
type comparedPair struct {
	a, b uintptr
	typ  reflect.Type
}

// nanComparer remembers the pairs of maps and slices it has begun to
// compare. A value that holds one map under many keys, level after level,
// has exponentially many paths but few maps: without the memory the walk
// visits every path (a Save of such a value would never end).
type nanComparer struct {
	seen map[comparedPair]bool
}

// visited reports whether a and b, maps or slices, were compared before,
// and records them if not. A pair met again is taken as equal, as
// DeepEqual takes it: were it not, the first comparison of the pair,
// still under way or done, answers false for the whole value.
func (c *nanComparer) visited(a, b reflect.Value) bool {
	pa, pb := a.Pointer(), b.Pointer()
	if pa == 0 || pb == 0 {
		return false // nothing shared to remember: a nil or empty container
	}
	k := comparedPair{pa, pb, a.Type()}
	if c.seen[k] {
		return true
	}
	if c.seen == nil {
		c.seen = map[comparedPair]bool{}
	}
	c.seen[k] = true
	return false
}

func (c *nanComparer) equal(a, b reflect.Value, depth int) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() || depth > maxCompareDepth {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || math.IsNaN(x) && math.IsNaN(y)
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return c.equal(a.Elem(), b.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		if a.Kind() == reflect.Slice && c.visited(a, b) {
			return true
		}
		for i := range a.Len() {
			if !c.equal(a.Index(i), b.Index(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		if c.visited(a, b) {
			return true
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !c.equal(it.Value(), bv, depth+1) {
				return false
			}
		}
		return true
	}
	// Anything else holds no NaN this walk can reach: DeepEqual's answer
	// stands (false, or it would not have been asked).
	return a.CanInterface() && b.CanInterface() && reflect.DeepEqual(a.Interface(), b.Interface())
}

// setLifetime gives the request's session an absolute lifetime of d, within
// the manager's Options.MaxLifetime, and sends its cookie again with a
// Max-Age to match (see manager.Manager.SetLifetime).
func (q *ginRequest) setLifetime(r *http.Request, w http.ResponseWriter, d time.Duration) error {
	return q.store.m.SetLifetime(hooks.Attach(q.sc, r), w, d)
}

// errNotSaved is what a scope begun by gin-contrib's Get writes to before
// Save gave it the response: nothing should.
var errNotSaved = errors.New("session: no response to write to before Save")

// lateWriter is the response writer of a scope begun by gin-contrib's Get,
// which brings no writer: Save binds it to the response. Headers set before
// (Vary: Cookie) are kept and added to the response then.
type lateWriter struct {
	w      http.ResponseWriter
	header http.Header
}

func (l *lateWriter) bind(w http.ResponseWriter) {
	if l.w != nil {
		return
	}
	l.w = w
	for k, vs := range l.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	l.header = nil
}

// started reports whether the response's headers have gone out, as far as
// the writer can tell: gin's writer can, a plain http.ResponseWriter
// cannot.
func (l *lateWriter) started() bool {
	w, ok := l.w.(interface{ Written() bool })
	return ok && w.Written()
}

func (l *lateWriter) Header() http.Header {
	if l.w != nil {
		return l.w.Header()
	}
	if l.header == nil {
		l.header = http.Header{}
	}
	return l.header
}

func (l *lateWriter) Write(b []byte) (int, error) {
	if l.w == nil {
		return 0, errNotSaved
	}
	return l.w.Write(b)
}

func (l *lateWriter) WriteHeader(code int) {
	if l.w != nil {
		l.w.WriteHeader(code)
	}
}
