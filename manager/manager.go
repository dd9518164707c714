package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"
	"weak"

	"github.com/sessionkit/session/store"
)

// Manager creates, finds, renews and destroys sessions, and reports their
// events. It is safe for concurrent use. Make one with [NewManager] and share
// it; call [Manager.Close] when done.
type Manager struct {
	opts      Options
	store     store.Store
	checker   store.ValueChecker // nil when the store keeps any value
	ownsStore bool
	// inProcess is set for the in-memory store, which neither waits nor
	// looks at a context: its writes need no detached, bounded one.
	inProcess bool
	creator   func(*http.Request, http.ResponseWriter) (Session, error)
	handler   func(Session, int)
	cookies   *cookieCarrier
	log       *slog.Logger

	// life stops the sweeper and closes an owned store, in Close or once
	// the manager is unreachable.
	life *halter

	// refused counts creations the store refused with
	// store.ErrTooManySessions; lastFullWarning is when the manager last
	// logged them, in Unix nanoseconds by Options.Clock (0: never).
	refused         atomic.Uint64
	lastFullWarning atomic.Int64

	counters counters // see Metrics

	// capTurns lets one login of a user at a time enforce the per-user cap
	// on this instance (see capUserSessions).
	capTurns userTurns
}

// fullWarningInterval spaces the warnings about a full store: a flood of
// refused sessions must not become a flood of log lines.
const fullWarningInterval = time.Minute

// NewManager returns a manager configured by options (see [Options] for the
// defaults of its zero values) and starts its sweeper.
//
// sessionCreator makes the session for CreateSession; nil means a fresh
// random ID. A creator must return an ID of the same form (43 base64url
// characters, see [IsValidID]); an unbound *MemSession it returns (see
// [NewSession]) also gives the new session its values. sessionHandler, when
// not nil, receives each session's Created, Update and Destroyed events.
//
// NewManager panics when options describe a cookie that browsers would
// reject, or hold a number outside the range written on its field, so the
// mistake shows at startup.
func NewManager(options Options, sessionCreator func(*http.Request, http.ResponseWriter) (Session, error), sessionHandler func(Session, int)) *Manager {
	opts := options.withDefaults()
	m := &Manager{
		opts:    opts,
		store:   opts.Store,
		creator: sessionCreator,
		handler: sessionHandler,
		cookies: &cookieCarrier{opts: opts},
		log:     opts.Logger,
	}
	var owned store.Store
	if m.store == nil {
		owned = store.NewMemory(store.WithMaxSessions(opts.MaxSessions)) // negative: no cap
		m.store, m.ownsStore = owned, true
	}
	m.life = newHalter(owned)
	m.checker, _ = m.store.(store.ValueChecker)
	// The memory store's type is unexported; it tells what it is through
	// this method instead.
	if s, ok := m.store.(interface{ InProcess() bool }); ok {
		m.inProcess = s.InProcess()
	}
	m.store = &observedStore{Store: m.store, c: &m.counters, timed: !m.inProcess}
	opts.warnInsecure()
	if opts.SessionLoader != nil {
		m.restore(opts.SessionLoader())
	}
	go runSweeper(weak.Make(m), m.life, time.Duration(opts.GcInterval)*time.Second, opts.GcStopChan)
	// A manager dropped without Close (a test's engine, a UseSession in a
	// handler built per request) must not leave its sweeper running for
	// ever: the sweeper holds it weakly, and this stops the sweeper once
	// nothing else reaches it. The halt waits for the sweeper, so it runs on
	// a goroutine of its own rather than the runtime's cleanup goroutine.
	runtime.AddCleanup(m, func(h *halter) { go h.halt() }, m.life)
	return m
}

// GetSession returns the session of the request, or nil when it has none.
//
// Within [Manager.Handler] it returns the request's session, whose changes
// are stored when the response starts. Called without the middleware, it
// looks the cookie up and returns a session whose Set writes to the store at
// once; a store failure is logged and answered with nil.
func (m *Manager) GetSession(r *http.Request) Session {
	sc, err := m.scopeFor(nil, r)
	if err != nil {
		m.log.Error("session: lookup failed", "err", err)
		return nil
	}
	return sc.Session()
}

// CreateSession makes a new session for the request, sets its cookie on w
// and fires Created. A session the request already has is destroyed first
// (firing Destroyed), so the new one always has a new ID.
func (m *Manager) CreateSession(r *http.Request, w http.ResponseWriter) (Session, error) {
	sc, err := m.scopeFor(w, r)
	if err != nil {
		return nil, err
	}
	return sc.Create()
}

// RenewSession gives the request's session a new ID, keeping its values,
// creation time and absolute deadline, and sets the new cookie on w. The old
// ID stops working at once. Call it when a user logs in. It returns
// ErrNoSession when the request has no session, ErrSessionGone when another
// request destroyed it first, and ErrSessionRenewed (also an ErrSessionGone)
// when another request renewed it first.
func (m *Manager) RenewSession(r *http.Request, w http.ResponseWriter) (Session, error) {
	sc, err := m.scopeFor(w, r)
	if err != nil {
		return nil, err
	}
	return sc.Renew()
}

// DestroySession destroys the request's session, if any, and sends a cookie
// that expires it.
func (m *Manager) DestroySession(r *http.Request, w http.ResponseWriter) error {
	sc, err := m.scopeFor(w, r)
	if err != nil {
		return err
	}
	return sc.Destroy()
}

// DestroySessionById destroys the session with the given ID wherever it is
// in use (an administrator's "log this user out"). It returns ErrSessionGone
// when there is no such live session, and ErrSessionRenewed when the ID is
// one the session was renewed away from: only its current ID ends it.
func (m *Manager) DestroySessionById(sessionId string) error {
	if !IsValidID(sessionId) {
		return ErrSessionGone
	}
	ctx, cancel := m.writeContext(context.Background())
	defer cancel()
	rec, deleted, err := m.store.Delete(ctx, sessionId)
	if errors.Is(err, store.ErrRenewed) {
		m.counters.failedInvalidations.Add(1)
		return ErrSessionRenewed // the session lives on under its new ID
	}
	if err != nil {
		m.counters.failedInvalidations.Add(1)
		return fmt.Errorf("session: destroying session %s: %w", store.MaskedID(sessionId), err)
	}
	if !deleted {
		return ErrSessionGone
	}
	if now := m.opts.Clock(); rec.ExpiredAt(now) {
		// It had already expired; this call only cleared it away.
		m.destroyed(m.ended(sessionId, "", rec), expiryCause(rec, now), "", slog.LevelInfo)
		return ErrSessionGone
	}
	m.destroyed(m.ended(sessionId, "", rec), causeLogout, "", slog.LevelInfo)
	return nil
}

// HandleError answers a request whose session could not be loaded or
// stored, through Options.ErrorHandler or the default one (see
// [Options.ErrorHandler] for its status codes).
//
// An Options.ErrorHandler that writes nothing and, on Gin, sets no status
// (one that only logs, say; a redirect sets one)
// does not make the request a success: the default status is then sent
// with its status text, or, on a writer that can hold a status unsent as
// Gin's does, recorded there for the rest of the request to answer with
// (TestAnErrorHandlerThatWritesNothingIsNoSuccess).
func (m *Manager) HandleError(w http.ResponseWriter, r *http.Request, err error) {
	if m.opts.ErrorHandler != nil {
		m.customAnswer(w, r, err)
		return
	}
	code := errorStatus(err)
	if errors.Is(err, store.ErrTooManySessions) {
		// noteRefusal has warned, at most once per fullWarningInterval: an
		// error line per refused request would let a flood fill the logs.
		m.log.Debug("session: request refused: session store full", "method", r.Method, "path", r.URL.Path, "status", code)
	} else {
		m.log.Error("session: request failed", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
	}
	http.Error(w, http.StatusText(code), code)
}

// errorStatus is the status the default error handler answers err with
// (see [Options.ErrorHandler]); a face that lets the application answer
// records it too, for when the application writes nothing.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, store.ErrTooManySessions),
		errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, new(net.Error)): // a store that hands back its driver's network error unwrapped
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrSessionRenewed):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// Close stops the sweeper and, when the manager made its own in-memory
// store, closes it; a store passed in Options.Store is left open for
// whoever made it to close. It is safe to call more than once. Close waits
// for a sweep in progress to finish its store batch, so that no sweep
// touches the store after it returns.
//
// There is one exception: while the sweeper runs Destroyed handlers, Close
// returns without waiting, because it may be called from one of those
// handlers, which the sweeper waits for (TestCloseFromADestroyedHandler).
// The sweeper then reports the rest of its batch's ends and closes the
// store the manager made as it returns (TestCloseWhileTheSweeperRunsHandlers).
//
// A manager that nothing reaches any more stops its sweeper and closes the
// store it made by itself, once the garbage collector finds it; Close does
// it at once.
func (m *Manager) Close() error {
	return m.life.halt()
}

// writeContext returns the context of a store write that creates, changes,
// renews or ends a session: ctx's values without its cancellation, so that a
// client that goes away cannot leave a logout half done, bounded by
// Options.StoreWriteTimeout so that such a write cannot hang either.
func (m *Manager) writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if m.inProcess {
		return ctx, func() {} // five allocations saved on every write
	}
	return context.WithTimeout(context.WithoutCancel(ctx), m.opts.StoreWriteTimeout)
}

// newRecord returns the record of a session created at now.
func (m *Manager) newRecord(values map[string]any, now time.Time) store.Record {
	rec := store.Record{Values: values, Created: now, Accessed: now, Idle: m.opts.idleTimeout()}
	if lifetime := m.opts.lifetime(); lifetime > 0 {
		rec.Expires = now.Add(lifetime)
	}
	return rec
}

// newSession makes and stores a session through the creator.
func (m *Manager) newSession(ctx context.Context, r *http.Request, w http.ResponseWriter) (*MemSession, error) {
	id, values, err := m.create(r, w)
	if err != nil {
		return nil, err
	}
	rec := m.newRecord(values, m.opts.Clock())
	ctx, cancel := m.writeContext(ctx)
	defer cancel()
	if err := m.store.Create(ctx, id, rec); err != nil {
		if errors.Is(err, store.ErrTooManySessions) {
			m.noteRefusal()
		}
		return nil, fmt.Errorf("session: storing new session %s: %w", store.MaskedID(id), err)
	}
	s := m.bind(id, rec, nil)
	s.isNew = true
	return s, nil
}

// noteRefusal counts a session the store refused for want of room, and logs
// a warning unless one was logged less than fullWarningInterval ago.
func (m *Manager) noteRefusal() {
	total := m.refused.Add(1)
	now := m.opts.Clock().UnixNano()
	last := m.lastFullWarning.Load()
	// A clock stepped back makes now-last negative: that counts as due.
	if last != 0 && now-last >= 0 && now-last < int64(fullWarningInterval) {
		return
	}
	if !m.lastFullWarning.CompareAndSwap(last, now) {
		return // another refusal is logging it
	}
	attrs := []any{"refused_total", total}
	if m.ownsStore {
		attrs = append(attrs, "max_sessions", m.opts.MaxSessions)
	}
	m.log.Warn("session: session store is full: new sessions are refused until some end (see Options.MaxSessions)", attrs...)
}

// create runs the session creator and checks what it returns.
func (m *Manager) create(r *http.Request, w http.ResponseWriter) (id string, values map[string]any, err error) {
	if m.creator == nil {
		id, err = newID(m.opts.Rand)
		return id, nil, err
	}
	made, err := m.creator(r, w)
	if err != nil {
		return "", nil, fmt.Errorf("session: session creator: %w", err)
	}
	if made == nil {
		return "", nil, errors.New("session: session creator returned no session")
	}
	id = made.GetId()
	if !IsValidID(id) {
		return "", nil, fmt.Errorf("session: session creator: %w", ErrInvalidID)
	}
	return id, unboundValues(made), nil
}

// unboundValues copies the values of a session that belongs to no manager
// yet, such as one made by NewSession; other sessions give none.
func unboundValues(s Session) map[string]any {
	ms, ok := s.(*MemSession)
	if !ok {
		return nil
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.mode != unbound || len(ms.base) == 0 {
		return nil
	}
	return maps.Clone(ms.base)
}

// bind returns the manager's view of a stored record, in into when it is
// not nil (a request's scope brings room for it, saving an allocation).
func (m *Manager) bind(id string, rec store.Record, into *MemSession) *MemSession {
	if into == nil {
		into = new(MemSession)
	}
	into.id = id
	into.created, into.accessed, into.expires = rec.Created, rec.Accessed, rec.Expires
	into.user = rec.User
	into.base, into.written = rec.Values, nil
	into.m, into.mode = m, writeThrough
	return into
}

// ended returns a session that no longer exists, for its Destroyed event.
// id may be "" when the store keeps only fingerprints; masked then names it.
func (m *Manager) ended(id, masked string, rec store.Record) *MemSession {
	s := m.bind(id, rec, nil)
	s.masked, s.gone = masked, true
	return s
}

// lookup finds a live session, bound into into (see bind). An expired one is
// claimed and reported as destroyed, and the lookup finds nothing: no lookup
// ever creates a record.
func (m *Manager) lookup(ctx context.Context, id string, touch bool, into *MemSession) (*MemSession, error) {
	now := m.opts.Clock()
	rec, found, err := m.store.Load(ctx, id, now, touch)
	if err != nil {
		return nil, fmt.Errorf("session: loading session %s: %w", store.MaskedID(id), err)
	}
	if !found {
		return nil, nil
	}
	if rec.ExpiredAt(now) {
		m.expire(ctx, id, now)
		return nil, nil
	}
	return m.bind(id, rec, into), nil
}

// expire claims an expired session found by a lookup. Of all the lookups and
// sweeps that find it, only the one whose delete succeeds fires Destroyed.
func (m *Manager) expire(ctx context.Context, id string, now time.Time) {
	ctx, cancel := m.writeContext(ctx)
	defer cancel()
	rec, deleted, err := m.store.Delete(ctx, id)
	if err != nil {
		m.log.Warn("session: removing expired session failed; the sweeper will retry", "session", store.MaskedID(id), "err", err)
		return
	}
	if deleted {
		m.destroyed(m.ended(id, "", rec), expiryCause(rec, now), "", slog.LevelInfo)
	}
}

// destroy deletes s and, if this call removed it, reports it destroyed for
// cause.
func (m *Manager) destroy(ctx context.Context, s *MemSession, cause destroyCause) error {
	id := s.GetId()
	ctx, cancel := m.writeContext(ctx)
	defer cancel()
	_, deleted, err := m.store.Delete(ctx, id)
	if errors.Is(err, store.ErrRenewed) {
		m.counters.failedInvalidations.Add(1)
		s.markRenewedAway()
		return ErrSessionRenewed // the session lives on: the logout did not happen
	}
	if err != nil {
		m.counters.failedInvalidations.Add(1)
		return fmt.Errorf("session: destroying session %s: %w", store.MaskedID(id), err)
	}
	s.markGone()
	if deleted {
		m.destroyed(s, cause, "", slog.LevelInfo)
	}
	return nil
}

// destroyed counts and logs the end of s for cause, and fires Destroyed.
// by, when not "", names the call that ended it, in the log line only.
// Only the caller that removed the session from the store calls it, so each
// session ends once in the metrics, the log and the events.
func (m *Manager) destroyed(s *MemSession, cause destroyCause, by string, level slog.Level) {
	m.counters.destroyed[cause].Add(1)
	if ctx := context.Background(); m.log.Enabled(ctx, level) { // no allocation for a line nobody reads: a sweep may end millions
		if by != "" {
			m.log.Log(ctx, level, "session: destroyed", "session", s, "cause", cause.String(), "by", by)
		} else {
			m.log.Log(ctx, level, "session: destroyed", "session", s, "cause", cause.String())
		}
	}
	m.fire(s, Destroyed)
}

// What renewed a session, in the log line of the renewal.
const (
	renewByRequest = "RenewSession"
	renewByLogin   = "Login"
)

// renew moves s to a new ID, and counts and logs it with cause (both masked
// IDs, so that the log follows the session across it). It fires no event;
// the caller does once the client has the new ID.
func (m *Manager) renew(ctx context.Context, s *MemSession, cause string) error {
	newID, err := newID(m.opts.Rand)
	if err != nil {
		return err
	}
	oldID, now := s.GetId(), m.opts.Clock()
	ctx, cancel := m.writeContext(ctx)
	defer cancel()
	if err := s.writeFailed(m.store.Renew(ctx, oldID, newID, now), "renewing", oldID); err != nil {
		return err
	}
	s.rename(newID, now)
	m.counters.renewed.Add(1)
	m.log.Info("session: renewed", "session", s, "previous", store.MaskedID(oldID), "cause", cause)
	return nil
}

// restore stores the sessions of Options.SessionLoader. Each keeps its
// creation time when it reports one (GetCreationTime, as a session from
// RestoreSession does), so that a restart never extends its absolute
// lifetime; a session that reports none, or one after its last access,
// counts as created at its last access, as NewSession's do.
func (m *Manager) restore(loaded []Session) {
	now := m.opts.Clock()
	for _, s := range loaded {
		if s == nil {
			continue
		}
		id := s.GetId()
		if !IsValidID(id) {
			m.log.Warn("session: SessionLoader returned an invalid session ID; skipped")
			continue
		}
		accessed := s.GetLastAccessTime()
		created := s.GetCreationTime()
		if created <= 0 || created > accessed {
			created = accessed
		}
		rec := m.newRecord(unboundValues(s), time.Unix(created, 0))
		rec.Accessed = time.Unix(accessed, 0)
		if rec.ExpiredAt(now) {
			continue
		}
		ctx, cancel := m.writeContext(context.Background())
		err := m.store.Create(ctx, id, rec)
		cancel()
		if errors.Is(err, store.ErrTooManySessions) {
			m.noteRefusal()
		} else if err != nil {
			m.log.Warn("session: restoring a loaded session failed; skipped", "session", store.MaskedID(id), "err", err)
		}
	}
}
