package manager

import (
	"context"
	"errors"
	"time"

	"github.com/sessionkit/session/store"
)

// observedStore counts the errors of the store calls it passes on and, when
// timed, their latency (see [StoreOpMetrics]). The manager reaches its store
// through it alone, so that no call goes uncounted. Methods it does not
// name pass through the embedded store uncounted.
type observedStore struct {
	store.Store
	c *counters
	// timed is off for the in-memory store: two clock readings would cost a
	// read more than the store call itself.
	timed bool
}

// start returns the moment a call starts, or the zero time when calls are
// not timed.
func (o *observedStore) start() time.Time {
	if !o.timed {
		return time.Time{}
	}
	return time.Now()
}

// done records the end of a call of op that started at start and returned err.
func (o *observedStore) done(ctx context.Context, op storeOp, start time.Time, err error) {
	if o.timed {
		o.c.storeLatency[op].observe(time.Since(start))
	}
	if err != nil && isStoreFailure(ctx, err) {
		o.c.storeErrors[op].Add(1)
	}
}

// isStoreFailure reports whether err, returned by a store call made with
// ctx, means the store failed, rather than an answer of the Store protocol
// or a request whose client went away.
func isStoreFailure(ctx context.Context, err error) bool {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrRenewed),
		errors.Is(err, store.ErrExists), errors.Is(err, store.ErrTooManySessions):
		return false
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return false
	}
	return true
}

func (o *observedStore) Create(ctx context.Context, id string, rec store.Record) error {
	t := o.start()
	err := o.Store.Create(ctx, id, rec)
	o.done(ctx, opCreate, t, err)
	return err
}

func (o *observedStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	t := o.start()
	rec, found, err := o.Store.Load(ctx, id, now, touch)
	o.done(ctx, opLoad, t, err)
	return rec, found, err
}

func (o *observedStore) Update(ctx context.Context, id string, changes map[string]any) error {
	t := o.start()
	err := o.Store.Update(ctx, id, changes)
	o.done(ctx, opUpdate, t, err)
	return err
}

func (o *observedStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	t := o.start()
	rec, deleted, err := o.Store.Delete(ctx, id)
	o.done(ctx, opDelete, t, err)
	return rec, deleted, err
}

func (o *observedStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	t := o.start()
	err := o.Store.Renew(ctx, oldID, newID, now)
	o.done(ctx, opRenew, t, err)
	return err
}

func (o *observedStore) Count(ctx context.Context) (int, error) {
	t := o.start()
	n, err := o.Store.Count(ctx)
	o.done(ctx, opCount, t, err)
	return n, err
}

func (o *observedStore) Sweep(ctx context.Context, now time.Time, limit int) ([]store.Entry, error) {
	t := o.start()
	batch, err := o.Store.Sweep(ctx, now, limit)
	o.done(ctx, opSweep, t, err)
	return batch, err
}

func (o *observedStore) SetUser(ctx context.Context, id, user string) error {
	t := o.start()
	err := o.Store.SetUser(ctx, id, user)
	o.done(ctx, opSetUser, t, err)
	return err
}

func (o *observedStore) SetExpires(ctx context.Context, id string, expires time.Time) error {
	t := o.start()
	err := o.Store.SetExpires(ctx, id, expires)
	o.done(ctx, opSetExpires, t, err)
	return err
}

func (o *observedStore) UserSessions(ctx context.Context, user string, now time.Time) ([]store.Entry, error) {
	t := o.start()
	entries, err := o.Store.UserSessions(ctx, user, now)
	o.done(ctx, opUserSessions, t, err)
	return entries, err
}

func (o *observedStore) DeleteUserSession(ctx context.Context, user, maskedID string) (store.Record, bool, error) {
	t := o.start()
	rec, deleted, err := o.Store.DeleteUserSession(ctx, user, maskedID)
	o.done(ctx, opDeleteUserSession, t, err)
	return rec, deleted, err
}
