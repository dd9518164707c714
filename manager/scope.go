package manager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/store"
)

// The life of a request:
//
//  1. begin (called by Manager.Handler, or by the root package's Gin
//     middleware through package seam) adds "Vary: Cookie", reads the ID the
//     carrier brings and looks the session up. A store failure ends the
//     request here, through the error handler.
//  2. The handlers run. A session the scope adopts is in mode held: Set and
//     Delete change only the session's pending map. Create, Renew and
//     Destroy reach the store at once and send their cookie.
//  3. The first byte of the response (WriteHeader, Write, Flush, Hijack on
//     the commit writer of headers.go), or the end of the handlers when
//     nothing was written, runs CommitBeforeWrite: commit stores the pending
//     changes and expires a cookie still due; a failure answers the request
//     through the error handler instead of the handler's response.
//  4. After the commit the session is in mode committed: a later Set writes
//     through, but one made while the commit is still storing joins it, or
//     waits for the commit's last write (Get finds the values in flight
//     meanwhile; see storeHeld), so that the commit's older write cannot
//     land last. A failure or a logout while the commit stores is answered
//     by the commit, as one before it (see stateStoring). After a failed
//     commit it is in mode commitFailed: the error handler answered, and a
//     later Set stores nothing. A handler that panicked commits its cookie
//     changes only (abandon).
//
// Calls made without a middleware (Manager.GetSession and the others on a
// request Handler did not wrap) get a scope of their own, made by scopeFor,
// whose session writes through from the start: nothing would commit it.
//
// Locks: requestScope.mu guards the fields below it; MemSession.mu guards
// the session's fields. No code holds both at once, so they have no order.

// requestScope is the session work of one request: the session it found,
// the changes it holds, and the cookie it must send.
type requestScope struct {
	// Set when the scope is made, read-only after (Handler replaces r with
	// the request carrying the scope before any handler runs).
	m       *Manager
	w       http.ResponseWriter
	r       *http.Request
	carrier seam.Carrier
	// vary is the request header the carrier reads, as the Vary value
	// that every response names (see addVary).
	vary []string
	// adoptAs, set when the scope is made too, sits below, in the padding
	// of the flags that mu guards.

	// loaded holds the session the request came with, so that the scope and
	// its session cost one allocation.
	loaded MemSession
	// attached is the context that carries the scope in the request the
	// handlers get, and attachedRequest that request (see attach), held
	// here for the same reason. Set once, under mu, and never changed after.
	attached        scopeContext
	attachedRequest http.Request
	// gin holds the writers of a Gin request (see beginGin), for the same
	// reason; unused otherwise.
	gin seam.GinWriters

	mu          sync.Mutex // guards the fields below
	session     *MemSession
	committed   bool // headers may have gone out: no more cookies
	failed      bool // the commit failed and the error handler answered
	clearCookie bool // the session was invalidated: expire the cookie
	cookieSent  bool // this response sets or expires the cookie
	abandoned   bool // the handler panicked: its pending changes are not stored
	// errorAnswer is the Gin commit writer's (see ErrorAnswer); here, in
	// the padding of the flags above, it costs the scope no room.
	errorAnswer bool
	// adoptAs is the mode of the sessions the scope adopts: held when a
	// middleware will commit the scope, writeThrough when nothing will.
	// Set when the scope is made and read-only after, so not guarded by
	// mu: it sits here, in the flags' padding, so that the scope, with the
	// commit's lastWrite below, stays at 696 bytes, which the heap's 8-byte
	// header of an object this size brings to its 704-byte size class.
	adoptAs  sessionMode
	deferred error // a failure to report at commit

	// lastWrite is closed when the commit's last store write returns; a
	// Set made during that write waits on it (see MemSession.storeHeld).
	// Guarded by the session's mu, not by mu: set once, by the commit.
	lastWrite chan struct{}

	// state holds the commit's flags (statePassed, stateStoring) in one
	// word, read without mu, so that the scope keeps its size class.
	state atomic.Uint32
}

// The flags of requestScope.state.
const (
	// statePassed is set once a commit of the scope succeeded, which no
	// later failure can undo, so that CommitBeforeWrite answers without mu.
	statePassed uint32 = 1 << iota
	// stateStoring is set while the commit stores the session's changes,
	// before the response's first byte: a failure or a logout meanwhile is
	// answered by the commit, which reads them again once it has stored.
	// Set by the commit alone; cleared under mu, so that deferFailure,
	// which reads it under mu, records nothing the commit does not see.
	stateStoring
)

// scopeContextKey keys the scope of a request in its context by manager,
// so that several managers serving one request each find their own.
type scopeContextKey struct{ m *Manager }

// scopeContext is a context that carries sc under scopeContextKey{sc.m},
// as context.WithValue would, without an allocation of its own.
type scopeContext struct {
	context.Context
	sc *requestScope
}

func (c *scopeContext) Value(key any) any {
	if k, ok := key.(scopeContextKey); ok && k.m == c.sc.m {
		return c.sc
	}
	return c.Context.Value(key)
}

// attach returns r, or a shallow copy of it, whose context carries sc, so
// that the manager's methods called with it act on sc's session. The
// first attach of a scope (the middleware's) makes its copy in
// sc.attachedRequest with the context sc.attached, so that a request pays
// no allocation for it; a later one returns a request that carries sc
// already as it is. The first needs no such check: only attach puts sc in
// a context.
func (sc *requestScope) attach(r *http.Request) *http.Request {
	parent := r.Context()
	sc.mu.Lock()
	first := sc.attached.Context == nil
	if first {
		sc.attached = scopeContext{Context: parent, sc: sc}
		// WithContext is inlined here, so its copy stays on the stack
		// and only this one, in the scope's own allocation, remains.
		sc.attachedRequest = *r.WithContext(&sc.attached)
	}
	sc.mu.Unlock()
	if first {
		return &sc.attachedRequest
	}
	if got, _ := parent.Value(scopeContextKey{sc.m}).(*requestScope); got == sc {
		return r
	}
	return r.WithContext(context.WithValue(parent, scopeContextKey{sc.m}, sc))
}

// begin starts the session work of a request: it adds "Vary: Cookie" (or
// the token carrier's header) to the response and looks up the session the
// carrier brings (nil carrier: the built-in cookie). An ID that is
// malformed, oversized, unknown or expired means no session, without error.
// An error means the store failed: answer it with [Manager.HandleError]
// rather than going on without a session.
func (m *Manager) begin(w http.ResponseWriter, r *http.Request, carrier seam.Carrier) (*requestScope, error) {
	if carrier == nil {
		carrier = m.cookies
	}
	addVary(w.Header(), varyOf(carrier))
	return m.newScope(w, r, carrier, held)
}

// beginGin is begin for a Gin request whose response goes to w and whose
// *gin.Context is ginContext: the scope holds the request's writers (see
// seam.GinWriters) and sends its cookies and error responses to their Raw.
func (m *Manager) beginGin(w seam.ResponseWriter, ginContext any, r *http.Request, carrier seam.Carrier) (*requestScope, error) {
	if carrier == nil {
		carrier = m.cookies
	}
	addVary(w.Header(), varyOf(carrier))
	sc := &requestScope{m: m, r: r, carrier: carrier, vary: varyOf(carrier), adoptAs: held}
	sc.gin.Raw = seam.GinResponse{ResponseWriter: w, Context: ginContext}
	sc.gin.Commit = seam.CommitWriter{ResponseWriter: w, Scope: sc}
	sc.w = &sc.gin.Raw
	if err := m.load(sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// scopeFor returns the scope of a call on r: the one Manager.Handler
// attached, or else one of the call's own whose session writes through (w
// may be nil for a call that sends no cookie).
func (m *Manager) scopeFor(w http.ResponseWriter, r *http.Request) (*requestScope, error) {
	if sc := m.scopeOf(r); sc != nil {
		return sc, nil
	}
	return m.newScope(w, r, nil, writeThrough)
}

// newScope makes a scope whose sessions are adopted in mode adoptAs, and
// looks up the session the carrier (nil: the built-in cookie) brings.
func (m *Manager) newScope(w http.ResponseWriter, r *http.Request, carrier seam.Carrier, adoptAs sessionMode) (*requestScope, error) {
	if carrier == nil {
		carrier = m.cookies
	}
	sc := &requestScope{m: m, w: w, r: r, carrier: carrier, vary: varyOf(carrier), adoptAs: adoptAs}
	if err := m.load(sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// load looks up the session that sc's carrier brings and makes it sc's,
// before anything else reaches sc. An ID that is malformed, oversized,
// unknown or expired means no session, without error; an error means the
// store (or the carrier's backend) failed.
func (m *Manager) load(sc *requestScope) error {
	r := sc.r
	id, err := sc.carrier.ReadID(r)
	if errors.Is(err, store.ErrUnavailable) {
		return fmt.Errorf("session: reading the session ID: %w", err)
	}
	if err != nil {
		m.log.Debug("session: ignoring the session ID the request carries", "reason", err)
		return nil
	}
	if id == "" {
		return nil
	}
	if !IsValidID(id) {
		m.log.Debug("session: ignoring a malformed session ID", "length", len(id))
		return nil
	}
	s, err := m.lookup(r.Context(), id, true, &sc.loaded)
	if err != nil {
		return err
	}
	if s != nil {
		// adopt without its locks: no other goroutine can reach sc, nor s
		// (sc.loaded), before the scope is returned.
		s.mode = sc.adoptAs
		if sc.adoptAs == held {
			s.scope = sc
		}
		sc.session = s
	}
	return nil
}

// scopeOf returns the scope that m.Handler attached to r, if any.
func (m *Manager) scopeOf(r *http.Request) *requestScope {
	sc, _ := r.Context().Value(scopeContextKey{m}).(*requestScope)
	if sc == nil || sc.m != m {
		return nil
	}
	return sc
}

// adopt makes s the request's session.
func (sc *requestScope) adopt(s *MemSession) {
	s.mu.Lock()
	s.mode, s.scope = sc.adoptAs, nil
	if sc.adoptAs == held {
		s.scope = sc // the request answers for what fails
	}
	s.mu.Unlock()
	sc.mu.Lock()
	sc.session, sc.clearCookie = s, false
	sc.mu.Unlock()
}

func (sc *requestScope) current() *MemSession {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.session
}

// drop forgets s if it is still the request's session.
func (sc *requestScope) drop(s *MemSession) {
	sc.mu.Lock()
	if sc.session == s {
		sc.session = nil
	}
	sc.mu.Unlock()
}

func (sc *requestScope) headersSent() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.committed
}

func (sc *requestScope) ctx() context.Context { return sc.r.Context() }

// Session returns the request's session, or nil when it has none.
func (sc *requestScope) Session() Session {
	if s := sc.current(); s != nil {
		return s
	}
	return nil
}

// Create makes a new session for the request, destroying the one it had,
// sends its cookie and fires Created.
func (sc *requestScope) Create() (Session, error) {
	s, err := sc.create()
	if err != nil {
		return nil, err
	}
	sc.m.fire(s, Created)
	return s, nil
}

// create is Create without the event, for a caller that fires it once the
// session is complete (see Login).
func (sc *requestScope) create() (*MemSession, error) {
	if sc.headersSent() {
		return nil, ErrHeadersWritten
	}
	if old := sc.current(); old != nil {
		if err := sc.m.destroy(sc.ctx(), old, causeReplaced); err != nil {
			sc.fail(old, "destroying the session that CreateSession replaces", err)
			return nil, err
		}
		sc.drop(old)
		// Should no new session follow (the store is full, say), the
		// commit expires the cookie of the one destroyed; adopt undoes it.
		sc.mu.Lock()
		sc.clearCookie = true
		sc.mu.Unlock()
	}
	s, err := sc.m.newSession(sc.ctx(), sc.r, sc.w)
	if err != nil {
		return nil, err
	}
	if err := sc.sendID(s.id, s.expires); err != nil {
		// The client can never present this session: take it back.
		ctx, cancel := sc.m.writeContext(sc.ctx())
		if _, _, derr := sc.m.store.Delete(ctx, s.id); derr != nil {
			sc.m.log.Warn("session: taking back a session whose cookie could not be sent failed; it expires unused",
				"session", s.GetMaskedSessionId(), "err", derr)
		}
		cancel()
		return nil, err
	}
	sc.adopt(s)
	return s, nil
}

// Renew gives the request's session a new ID (see [Manager.RenewSession]),
// sends the new cookie and fires Update.
func (sc *requestScope) Renew() (Session, error) {
	s, err := sc.renew(renewByRequest)
	if err != nil {
		return nil, err
	}
	sc.m.fire(s, Update)
	return s, nil
}

// renew is Renew without the event (see create); cause names the caller in
// the renewal's log line.
func (sc *requestScope) renew(cause string) (*MemSession, error) {
	s := sc.current()
	if s == nil {
		return nil, ErrNoSession
	}
	if sc.headersSent() {
		return nil, ErrHeadersWritten
	}
	held := s.hasPending()
	if err := sc.m.renew(sc.ctx(), s, cause); err != nil {
		gone := errors.Is(err, ErrSessionGone)
		if gone {
			sc.drop(s) // another request renewed or ended it: it won
		}
		// A store failure leaves the old ID working: a handler that ignores
		// the error and logs the user in anyway must not answer 200 (session
		// fixation). A renewal lost to another request's drops the changes
		// this one held: no 200 for them either.
		if !gone || held && errors.Is(err, ErrSessionRenewed) {
			sc.fail(s, "renewing the session", err)
		}
		return nil, err
	}
	s.mu.Lock()
	id, expires := s.id, s.expires // SetLifetime may have moved the deadline
	s.mu.Unlock()
	if err := sc.sendID(id, expires); err != nil {
		return nil, err
	}
	return s, nil
}

// Destroy destroys the request's session, if any, and sends a cookie that
// expires it. The session is destroyed on the server even when the headers
// have gone out; the error then says the cookie could not follow. When the
// store fails, the session may live on: the error is returned and the commit
// fails with it too, so that a handler that ignores it (and redirects as if
// the user were logged out) is answered through the error handler instead.
func (sc *requestScope) Destroy() error {
	if s := sc.current(); s != nil {
		if err := sc.m.destroy(sc.ctx(), s, causeLogout); err != nil {
			sc.fail(s, "destroying the session", err)
			return err
		}
		sc.drop(s)
	}
	if sc.headersSent() {
		return ErrHeadersWritten
	}
	return sc.clearID()
}

// invalidated records that s.Invalidate ran within this request.
func (sc *requestScope) invalidated(s *MemSession, err error) {
	if err != nil {
		sc.fail(s, "invalidating the session", err)
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.session == s {
		sc.session, sc.clearCookie = nil, true
	}
}

// fail records a failure that the commit must report, so that a handler
// that ignores an error still cannot answer 200: the response goes through
// the error handler, also while the commit stores. Once the commit has
// answered, the response is on its way and the failure can only be logged.
func (sc *requestScope) fail(s *MemSession, what string, err error) {
	if sc.deferFailure(err) {
		sc.m.log.Error("session: "+what+" failed after the response started",
			"session", s.GetMaskedSessionId(), "err", err)
	}
}

// Fail records a failure of the request's session work that is not the
// session's own (a face's save), for the commit to report: see fail.
func (sc *requestScope) Fail(err error) {
	if sc.deferFailure(err) {
		sc.m.log.Error("session: saving the session failed after the response started", "err", err)
	}
}

// deferFailure keeps err for the commit to report, unless an earlier
// failure is kept already, and reports whether the commit has answered (it
// has run and is not storing): then the failure can only be logged.
func (sc *requestScope) deferFailure(err error) (answered bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	// While the commit stores, it has not answered yet: it reads the
	// failure once it has stored (see commitOnce).
	open := !sc.committed || sc.state.Load()&stateStoring != 0
	if open && sc.deferred == nil {
		sc.deferred = err
	}
	return !open
}

// sendID sends the session cookie. A response that sets it must not be
// cached: a shared cache would hand one user's session to another.
func (sc *requestScope) sendID(id string, expires time.Time) error {
	if err := sc.carrier.WriteID(sc.w, sc.r, id, cookieMaxAge(expires, sc.m.opts.Clock())); err != nil {
		return err
	}
	sc.noStore()
	return nil
}

func (sc *requestScope) clearID() error {
	if err := sc.carrier.ClearID(sc.w, sc.r); err != nil {
		return err
	}
	sc.noStore()
	return nil
}

// cookieMaxAge is the cookie lifetime, in whole seconds rounded up, that
// ends with the session's absolute deadline; 0 (a browser-session cookie)
// when there is none.
func cookieMaxAge(expires, now time.Time) int {
	if expires.IsZero() {
		return 0
	}
	left := expires.Sub(now)
	// Rounded up without adding to left: a lifetime near the largest
	// Duration (SetLifetime(math.MaxInt64) without an absolute limit) would
	// overflow into a negative one.
	secs := left / time.Second
	if left%time.Second > 0 {
		secs++
	}
	return max(1, int(secs))
}

// commit stores the request's changes and sends the cookie changes that are
// still due. It runs once; later calls return nil. After it, the session's
// Set writes to the store at once. A change to a session that another
// request destroyed meanwhile is dropped without error: a destroyed session
// never comes back (logout wins). A change to a session that another
// request renewed meanwhile fails with ErrSessionRenewed. A failed destroy
// or renewal earlier in the request fails the commit with its error, and
// the changes the request held are then not stored.
func (sc *requestScope) commit() error {
	_, err := sc.commitOnce()
	return err
}

// commitOnce is commit, reporting whether this call ran it (ran false: an
// earlier call did, and err is nil). It takes each lock once.
func (sc *requestScope) commitOnce() (ran bool, err error) {
	sc.mu.Lock()
	if sc.committed {
		sc.mu.Unlock()
		return false, nil
	}
	sc.committed = true
	s, clearCookie, deferred, abandoned, cookieSent := sc.session, sc.clearCookie, sc.deferred, sc.abandoned, sc.cookieSent
	sc.mu.Unlock()

	if clearCookie {
		if err := sc.clearID(); err != nil {
			return true, err
		}
		cookieSent = true // clearID's noStore
	}
	sc.guardHeaders(cookieSent)
	if s == nil {
		return true, deferred
	}
	s.mu.Lock()
	s.mode = committed
	if deferred != nil {
		s.mode = commitFailed // nor any change it makes later
	}
	changes, id := s.pending, s.id
	s.pending = nil
	if abandoned || deferred != nil {
		// A request that panicked, or that the error handler will answer,
		// stores none of the changes it held: its handler did not finish
		// what it meant to do (a login on an ID that failed to renew, say).
		changes = nil
	}
	if len(changes) == 0 {
		s.mu.Unlock()
		return true, deferred
	}
	// Get finds the changes while the store writes, and a Set meanwhile
	// joins the commit rather than overtaking it.
	before := s.startHeld(changes)
	s.mu.Unlock()
	return true, sc.storeChanges(s, changes, before, id, clearCookie)
}

// storeChanges is the end of a commit that stores: it stores changes, which
// startHeld put on their way (before is what it returned), under id, and
// then answers what came while it stored. cleared says whether the commit
// expired the cookie already.
func (sc *requestScope) storeChanges(s *MemSession, changes, before map[string]any, id string, cleared bool) (err error) {
	sc.state.Or(stateStoring)
	stored := false
	defer func() {
		if !stored { // the store panicked: what comes now can only be logged
			sc.mu.Lock()
			sc.state.And(^stateStoring)
			sc.mu.Unlock()
		}
	}()
	// storeHeld puts the session in mode commitFailed itself on a failure,
	// under the lock that ends the store.
	err = s.storeHeld(sc.ctx(), changes, before, id, &sc.lastWrite)
	stored = true
	if errors.Is(err, ErrSessionGone) && !errors.Is(err, ErrSessionRenewed) {
		sc.m.log.Debug("session: dropped changes to a session destroyed meanwhile", "session", s.GetMaskedSessionId())
		err = nil
	}
	// The response has not started: a failure or a logout that came while
	// the commit stored is answered as one that came before it.
	sc.mu.Lock()
	sc.state.And(^stateStoring)
	late, clearNow := sc.deferred, sc.clearCookie && !cleared
	sc.mu.Unlock()
	if clearNow {
		if cerr := sc.clearID(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err == nil && late != nil {
		s.mu.Lock()
		s.mode = commitFailed // nor any change it makes later
		s.mu.Unlock()
		err = late
	}
	return err
}

// CommitBeforeWrite commits, and answers a failed commit through the error
// handler. It reports whether the response may go on; after a failure the
// middleware must drop what the handler writes. Response writer wrappers
// call it before the first byte of the response, and again before every
// later write: after a commit that succeeded, those calls read one flag.
func (sc *requestScope) CommitBeforeWrite() bool {
	if sc.state.Load()&statePassed != 0 {
		return true
	}
	ran, err := sc.commitOnce()
	if !ran {
		sc.mu.Lock()
		ok := !sc.failed
		sc.mu.Unlock()
		return ok
	}
	if err != nil {
		sc.mu.Lock()
		sc.failed = true
		sc.mu.Unlock()
		sc.m.HandleError(sc.w, sc.r, err)
		return false
	}
	sc.state.Or(statePassed)
	return true
}

// Serve runs next, the rest of the request's handlers, and then commits
// unless the response has started (see [requestScope.CommitBeforeWrite]).
//
// When next panics (or calls runtime.Goexit), the changes the request's
// session holds are discarded: a half-done handler must not leave half its
// work in the store, even when a recovery middleware then writes an error
// response through the commit writer. What already reached the store
// stands (a session created, renewed or destroyed), and its cookie still
// goes out with whatever response the recovery writes, so the client never
// holds a dead ID. The panic goes on unchanged.
func (sc *requestScope) Serve(next seam.Next) {
	returned := false
	defer func() {
		if !returned {
			sc.abandon()
		}
	}()
	next.Next()
	returned = true
	sc.CommitBeforeWrite()
}

// abandon commits what is left of a request whose handler panicked: the
// cookie changes, not the pending values (see commit). A failure then can
// only be logged, since a recovery middleware, if any, will answer.
func (sc *requestScope) abandon() {
	sc.mu.Lock()
	sc.abandoned = true
	sc.mu.Unlock()
	if err := sc.commit(); err != nil {
		sc.m.log.Error("session: committing after a handler panicked failed", "err", err)
	}
}

// ErrorAnswer is seam.Committer's: the Gin commit writer's flag, read and
// written only by the request's goroutine, as the writer is.
func (sc *requestScope) ErrorAnswer() *bool { return &sc.errorAnswer }

// Manager returns the manager the scope belongs to.
func (sc *requestScope) Manager() *Manager { return sc.m }
