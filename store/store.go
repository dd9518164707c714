package store

import (
	"context"
	"time"
)

// Store keeps session records. Implementations must be safe for concurrent
// use by many goroutines and, for shared backends, by many processes.
//
// IDs reach a Store already checked for length and alphabet. A Store never
// creates a record as a side effect of a read. Times are kept to at least
// millisecond precision; the manager relies on whole seconds only. Deadlines
// are compared by the wall clock alone, and times handed back carry no
// monotonic clock reading (see the time package), so that every comparison,
// here or in the caller, agrees after the wall clock steps. A deadline far
// in the future (past the year 2262, say) is kept as it is. The package
// storetest checks all of this: run it against any new Store.
type Store interface {
	// Create stores rec under id. It returns ErrExists when id is taken. The
	// store may keep rec.Values; the caller does not change it afterwards.
	// A non-empty rec.User binds the session as SetUser would.
	Create(ctx context.Context, id string, rec Record) error

	// Load returns the record of id and found == true, or found == false when
	// there is none. When touch is set and the record has not expired at now,
	// its access time becomes now (the idle deadline slides). A store may
	// skip a touch that would move the access time by less than a
	// granularity of its own, written on the store: the session then expires
	// up to that granularity early, never late. An expired
	// record is returned untouched, so the caller can see that it expired and
	// claim it with Delete.
	Load(ctx context.Context, id string, now time.Time, touch bool) (rec Record, found bool, err error)

	// Update applies changes key by key to the current values of id: a nil
	// value deletes its key, any other value replaces it. Keys not named are
	// left as they are, so concurrent updates of different keys all survive.
	// It returns ErrNotFound when id does not exist, so a late write never
	// brings a deleted session back, and ErrRenewed when Renew moved id's
	// record to another ID. It does not change the access time: the Load
	// that began the request did.
	Update(ctx context.Context, id string, changes map[string]any) error

	// Delete removes id and returns the record it removed with deleted ==
	// true. Of concurrent deletes of one ID exactly one gets deleted == true;
	// that caller alone reports the session as destroyed. It returns
	// ErrRenewed when Renew moved id's record to another ID.
	Delete(ctx context.Context, id string) (rec Record, deleted bool, err error)

	// Renew moves the record of oldID to newID with its values, creation time
	// and absolute deadline unchanged, and its access time set to now. oldID
	// is gone when Renew returns: Load finds nothing under it, and Update,
	// Delete and Renew of it return ErrRenewed (see there). It returns
	// ErrNotFound when oldID does not exist or has expired at now. Of
	// concurrent renewals of one ID exactly one succeeds; the others get
	// ErrRenewed (or ErrNotFound). It returns ErrExists when newID is taken.
	Renew(ctx context.Context, oldID, newID string, now time.Time) error

	// Count returns the number of sessions stored. Records whose deadline
	// passed but that no Load or Sweep has reached yet may still be counted.
	Count(ctx context.Context) (int, error)

	// Sweep deletes up to limit records whose deadline is not after now and
	// returns them; fewer than limit means none were left due when it
	// looked, and a limit below 1 sweeps nothing. Each record is returned by exactly one Sweep or Delete,
	// however many callers run at once.
	Sweep(ctx context.Context, now time.Time, limit int) ([]Entry, error)

	// SetUser binds the session of id to user, or unbinds it when user is
	// "". The session is listed by UserSessions(user) until it ends, is
	// unbound or is bound to another user; binding it to another user moves
	// it out of the old user's list. User names are opaque strings (e-mail
	// addresses, any bytes): a store that puts them in key names hashes them.
	// It returns ErrNotFound / ErrRenewed as Update does, and does not change
	// the access time. Renew keeps the binding.
	SetUser(ctx context.Context, id, user string) error

	// SetExpires moves the absolute deadline of id's session to expires (the
	// zero time: none). A deadline not after now makes the session expired:
	// Load returns it untouched as expired and Sweep claims it. A later one
	// extends the session; its idle deadline still applies. It returns
	// ErrNotFound / ErrRenewed as Update does, and does not change the
	// access time.
	SetExpires(ctx context.Context, id string, expires time.Time) error

	// UserSessions returns the sessions bound to user that have not expired
	// at now, oldest Created first (ties: any stable order), each once, with
	// MaskedID set (ID may be ""). It never scans all sessions: it reads the
	// user's index. A store whose index may hold stale entries (Redis
	// Cluster, where the index and a session live in different slots)
	// checks each entry against the session it names and removes the stale
	// ones.
	UserSessions(ctx context.Context, user string, now time.Time) ([]Entry, error)

	// DeleteUserSession deletes the session bound to user whose masked ID is
	// maskedID, as Delete does: of concurrent deletes exactly one caller gets
	// deleted == true. It reports deleted == false, and no error, when user
	// has no such live session (a session of another user is never deleted
	// through it).
	DeleteUserSession(ctx context.Context, user, maskedID string) (rec Record, deleted bool, err error)

	// Close releases what the store holds. It is safe to call more than once;
	// every other method of a closed store returns ErrClosed.
	Close() error
}

// ValueChecker is implemented by stores that cannot keep every Go value (for
// example, stores that encode values to send them over the network). The
// manager calls CheckValue when a value is set, so that a value the store
// cannot keep is refused at Set time rather than lost at commit.
type ValueChecker interface {
	CheckValue(key string, value any) error
}

// Record is the stored state of one session.
type Record struct {
	// Values holds the session's keys. A map handed out by a Store is a
	// snapshot that nobody writes to again; Update builds a new one.
	Values map[string]any

	// Created is when the session was created. Renewal keeps it.
	Created time.Time

	// Accessed is the last time a request used the session.
	Accessed time.Time

	// Idle is how long the session lives without access. 0 means no idle limit.
	Idle time.Duration

	// Expires is the absolute deadline. The zero time means none.
	Expires time.Time

	// User is the principal the session is bound to (see Store.SetUser), ""
	// for none. Renew keeps it. Sweep and Delete hand it back, so that whoever
	// reports the session's end knows whose session ended.
	User string
}

// Deadline returns the moment the record expires: the earlier of its idle
// deadline and its absolute one. The zero time means it never expires. It
// is a time.Time, which holds any Idle added to any real Accessed: Unix
// nanoseconds would end in the year 2262.
func (r Record) Deadline() time.Time {
	if r.Idle <= 0 {
		return r.Expires
	}
	idle := r.Accessed.Add(r.Idle)
	if !r.Expires.IsZero() && r.Expires.Before(idle) {
		return r.Expires
	}
	return idle
}

// ExpiredAt reports whether the record's deadline is not after now.
func (r Record) ExpiredAt(now time.Time) bool {
	d := r.Deadline()
	return !d.IsZero() && !d.After(now)
}

// Entry is a session as Sweep (which deleted it because its deadline
// passed) or UserSessions hands it out.
type Entry struct {
	// ID is the session ID, or "" for stores that keep only its fingerprint.
	ID string
	// MaskedID is the session's masked ID (see [MaskedID]).
	MaskedID string
	// Record is the record as it was when it was swept or listed.
	Record Record
}
