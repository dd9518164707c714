package manager

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sessionkit/session/store"
)

// This file holds the sessions of a user, as bound by Login: listing them
// for display, destroying one, all, or all but the current one, and the cap
// of Options.MaxSessionsPerUser. User names are never logged, masked or not:
// they are often e-mail addresses, and a masked one could be matched
// against a list of addresses.

// The calls named in the log line of each session these functions end.
const (
	byCap            = "per-user cap"
	byOthers         = "logout-others"
	byOne            = "destroy-user-session"
	byAll            = "destroy-user-sessions"
	maskedIDLength   = 12 // see store.MaskedID
	maxRetriedPasses = 3
)

// UserSession is one live session of a user, as [Manager.UserSessions]
// lists it for display ("your devices").
type UserSession struct {
	// MaskedID names the session without being a credential (see
	// [Session.GetMaskedSessionId]); [Manager.DestroyUserSession] takes it.
	MaskedID string
	// Created is when the session was created; renewal keeps it.
	Created time.Time
	// LastAccess is when a request last used the session.
	LastAccess time.Time
	// Current is set for the session of the request given to UserSessions.
	Current bool
}

// UserSessions returns the live sessions bound to user (see
// [Manager.Login]), oldest first, with the one of r marked Current. r
// bounds the call with its context; it may be nil, outside any request
// (nothing is then marked Current). The store reads the user's index, not
// every session: the cost follows the user's sessions alone.
func (m *Manager) UserSessions(r *http.Request, user string) ([]UserSession, error) {
	if user == "" {
		return nil, errNoUser
	}
	ctx, current := context.Background(), ""
	if r != nil {
		sc, err := m.scopeFor(nil, r)
		if err != nil {
			return nil, err
		}
		ctx = r.Context()
		if s := sc.current(); s != nil {
			current = s.GetMaskedSessionId()
		}
	}
	entries, err := m.store.UserSessions(ctx, user, m.opts.Clock())
	if err != nil {
		return nil, fmt.Errorf("session: listing the sessions of a user: %w", err)
	}
	out := make([]UserSession, len(entries))
	for i, e := range entries {
		out[i] = UserSession{
			MaskedID:   e.MaskedID,
			Created:    e.Record.Created,
			LastAccess: e.Record.Accessed,
			Current:    e.MaskedID == current,
		}
	}
	return out, nil
}

// DestroyUserSession destroys the session of user whose masked ID is
// maskedID (from [Manager.UserSessions]), as a "sign out that device"
// button does, and fires Destroyed. It returns ErrSessionGone when user
// has no such live session: a session of another user is never destroyed
// through it, whatever masked ID the request names.
func (m *Manager) DestroyUserSession(user, maskedID string) error {
	if user == "" {
		return errNoUser
	}
	if !isMaskedID(maskedID) {
		return ErrSessionGone
	}
	_, live, err := m.destroyUserSession(context.Background(), user, store.Entry{MaskedID: maskedID}, causeLogout, byOne)
	if err != nil {
		return err
	}
	if !live {
		return ErrSessionGone // none, or one that had expired: cleared away, not ended
	}
	return nil
}

// DestroyUserSessions destroys every session of user ("log out
// everywhere"), firing Destroyed for each, and returns how many it ended.
// A session another call ends meanwhile is not counted, nor reported
// twice. On a store failure it goes on with the other sessions and returns
// the count with the errors.
func (m *Manager) DestroyUserSessions(user string) (int, error) {
	if user == "" {
		return 0, errNoUser
	}
	return m.destroyUserSessions(context.Background(), user, nil, byAll)
}

// DestroyOtherSessions destroys every session of user except the one of r
// ("log out everywhere else"), firing Destroyed for each, and returns how
// many it ended; the request's session, if any, is left alone. A session
// that another instance renews while this runs is found again under its new
// ID and ended too. Errors as [Manager.DestroyUserSessions].
//
// When the request's own session no longer has the ID the request loaded
// (another tab renewed it at login, or ended it), the call cannot tell which
// listed session is its own: it ends no more and returns ErrSessionRenewed
// (409 through the default error handler) with the count of the sessions
// it ended before it saw that: none, unless it was listing again after
// another instance renewed one of them, and then the error says how many.
// The user's next click, which carries the new cookie, succeeds. Ending the
// renewed session would sign out the very browser the user meant to keep.
func (m *Manager) DestroyOtherSessions(r *http.Request, user string) (int, error) {
	if user == "" {
		return 0, errNoUser
	}
	sc, err := m.scopeFor(nil, r)
	if err != nil {
		return 0, err
	}
	return m.destroyUserSessions(r.Context(), user, sc.current(), byOthers)
}

// ownSessionMoved is the error of DestroyOtherSessions when the request's
// own session left the ID the request loaded, after it had ended that many
// other sessions of the user.
func ownSessionMoved(ended int) error {
	if ended == 0 {
		return fmt.Errorf("session: the request's own session was renewed or ended by another request; no other session was ended: %w", ErrSessionRenewed)
	}
	return fmt.Errorf("session: the request's own session was renewed or ended by another request after %d other sessions were ended; no more were: %w", ended, ErrSessionRenewed)
}

// destroyUserSessions destroys user's sessions but keep (nil: none). A
// delete that finds its session gone means the index changed under it (a
// renewal moved a session to a new masked ID, or another call ended it):
// it lists again, and ends what existed when it began, a few times at most.
//
// keep is spared by its masked ID, which a renewal changes. So each pass
// lists first and then checks that keep is still stored under its ID: a
// renewal after that check gives keep an ID the listing does not hold, and
// one before it stops the call, since keep's new masked ID is unknown.
func (m *Manager) destroyUserSessions(ctx context.Context, user string, keep *MemSession, by string) (int, error) {
	ctx = context.WithoutCancel(ctx) // a client going away must not leave it half done
	began := m.opts.Clock()
	keepMasked := ""
	if keep != nil {
		keepMasked = keep.GetMaskedSessionId()
	}
	total := 0
	var errs []error
	for pass := range maxRetriedPasses {
		entries, err := m.listUserSessions(ctx, user)
		if err != nil {
			return total, errors.Join(append(errs, err)...)
		}
		if keep != nil {
			stays, err := m.storedUnderItsID(ctx, keep.GetId())
			if err != nil {
				return total, errors.Join(append(errs, err)...)
			}
			if !stays {
				return total, errors.Join(append(errs, ownSessionMoved(total))...)
			}
		}
		missed := false
		for _, e := range entries {
			// Sessions made after the call began are later logins, which a
			// retry must spare; the first pass ends all it lists.
			if e.MaskedID == keepMasked || pass > 0 && e.Record.Created.After(began) {
				continue
			}
			removed, live, err := m.destroyUserSession(ctx, user, e, causeLogout, by)
			switch {
			case err != nil:
				errs = append(errs, err)
			case live:
				total++
			case !removed:
				missed = true
			}
		}
		if !missed {
			break
		}
	}
	return total, errors.Join(errs...)
}

// storedUnderItsID reports whether the session of id is still stored under
// that ID (expired or not): false once a renewal moved it or it ended. The
// read does not touch the session.
func (m *Manager) storedUnderItsID(ctx context.Context, id string) (bool, error) {
	ctx, cancel := m.writeContext(ctx)
	defer cancel()
	_, found, err := m.store.Load(ctx, id, m.opts.Clock(), false)
	if err != nil {
		return false, fmt.Errorf("session: reading the request's own session: %w", err)
	}
	return found, nil
}

// capUserSessions destroys the oldest sessions of user beyond
// Options.MaxSessionsPerUser, never the one masked keep (the one a login
// just bound). Run after every binding, on any instance, it keeps the cap
// under concurrent logins: the login that binds last lists every session
// and trims them to the cap.
//
// A login whose session is no longer listed ends nothing: another login's
// cap (or a logout) ended it, and that login listed every session this one
// could see. Counting it anyway, as still bound, would end a survivor for
// a session that is gone: two logins at a cap of 1 would leave none. On
// one instance the logins of a user take turns, so that two of them never
// both list before either ends anything, which would make each end the
// other's session; across instances that can still happen (see README).
func (m *Manager) capUserSessions(ctx context.Context, user, keep string) {
	if m.opts.MaxSessionsPerUser == 0 {
		return
	}
	// Destroyed fires after the turn is over: a handler may log a user in,
	// which takes a turn, and a slow one must not hold up the logins of
	// the users who share the lock.
	for _, end := range m.trimToCap(context.WithoutCancel(ctx), user, keep) {
		m.report(end)
	}
}

// trimToCap is capUserSessions' turn: it removes the sessions beyond the
// cap and returns their ends, for the caller to report.
func (m *Manager) trimToCap(ctx context.Context, user, keep string) []sessionEnd {
	turn := m.capTurns.of(user)
	turn.Lock()
	defer turn.Unlock()
	entries, err := m.listUserSessions(ctx, user)
	if err != nil {
		m.log.Warn("session: enforcing MaxSessionsPerUser failed; the next login retries", "session", keep, "err", err)
		return nil
	}
	if !hasMasked(entries, keep) {
		return nil
	}
	var ends []sessionEnd
	excess := len(entries) - m.opts.MaxSessionsPerUser
	for _, e := range entries { // oldest first
		if excess <= 0 {
			break
		}
		if e.MaskedID == keep {
			continue
		}
		excess--
		end, _, err := m.removeUserSession(ctx, user, e, causeUserCap, byCap)
		if err != nil {
			m.log.Warn("session: enforcing MaxSessionsPerUser failed; the next login retries", "session", e.MaskedID, "err", err)
		}
		if end.s != nil {
			ends = append(ends, end)
		}
	}
	return ends
}

// userTurns are the locks by which the logins of one user take turns at
// the per-user cap. Users share a lock by a hash of their name: a fixed
// array of locks, not one per user, so that nothing grows with the users
// and nothing must be freed; two users who share one only wait for each
// other's cap, which takes a listing and a few deletes (the Destroyed
// handlers run after the turn).
type userTurns [64]sync.Mutex

// of returns the lock of user.
func (t *userTurns) of(user string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(user))
	return &t[h.Sum32()%uint32(len(t))]
}

// listUserSessions is the store's UserSessions, bounded as a write is: it
// is the first step of one.
func (m *Manager) listUserSessions(ctx context.Context, user string) ([]store.Entry, error) {
	ctx, cancel := m.writeContext(ctx)
	defer cancel()
	entries, err := m.store.UserSessions(ctx, user, m.opts.Clock())
	if err != nil {
		return nil, fmt.Errorf("session: listing the sessions of a user: %w", err)
	}
	return entries, nil
}

// destroyUserSession deletes the session of user that e names and, when
// this call removed it, logs why and fires Destroyed. It reports whether
// this call removed the session and whether the session was live then: one
// whose deadline had passed, not yet swept, is only cleared away, and its
// end is reported with the expiry's cause, as DestroySessionById does.
func (m *Manager) destroyUserSession(ctx context.Context, user string, e store.Entry, cause destroyCause, by string) (removed, live bool, err error) {
	end, live, err := m.removeUserSession(ctx, user, e, cause, by)
	if end.s != nil {
		m.report(end)
	}
	return end.s != nil, live, err
}

// sessionEnd is a session's end that its remover has yet to report.
type sessionEnd struct {
	s     *MemSession // nil: nothing was removed
	cause destroyCause
	by    string
}

// report logs end and fires Destroyed for it.
func (m *Manager) report(end sessionEnd) {
	m.destroyed(end.s, end.cause, end.by, slog.LevelInfo)
}

// removeUserSession is destroyUserSession without the report, which it
// hands back: the zero sessionEnd when this call did not remove the
// session.
func (m *Manager) removeUserSession(ctx context.Context, user string, e store.Entry, cause destroyCause, by string) (end sessionEnd, live bool, err error) {
	ctx, cancel := m.writeContext(ctx)
	defer cancel()
	rec, deleted, err := m.store.DeleteUserSession(ctx, user, e.MaskedID)
	if err != nil {
		m.counters.failedInvalidations.Add(1)
		return sessionEnd{}, false, fmt.Errorf("session: destroying session %s: %w", e.MaskedID, err)
	}
	if !deleted {
		return sessionEnd{}, false, nil
	}
	if rec.User == "" {
		rec.User = user // so that Destroyed can say whose session ended
	}
	if now := m.opts.Clock(); rec.ExpiredAt(now) {
		return sessionEnd{m.ended(e.ID, e.MaskedID, rec), expiryCause(rec, now), ""}, false, nil
	}
	return sessionEnd{m.ended(e.ID, e.MaskedID, rec), cause, by}, true, nil
}

// hasMasked reports whether entries hold the session masked as masked.
func hasMasked(entries []store.Entry, masked string) bool {
	for _, e := range entries {
		if e.MaskedID == masked {
			return true
		}
	}
	return false
}

// isMaskedID reports whether s has the form of a masked ID: what a client
// sends back from a listing is checked before it reaches the store.
func isMaskedID(s string) bool {
	if len(s) != maskedIDLength {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}
