package manager_test

// A handler may write its response from a goroutine of its own while others
// use the session: these tests pin what the request's commit keeps then
// (the README's "Within a request" paragraph): the values read back while
// they are stored, a Set made meanwhile ordered after the commit's write,
// at most two store writes within one StoreWriteTimeout, and failures,
// panics and logouts during the store write answered as before it.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// writeGate holds one store write on its way: once gated is set, the next
// write closes entered and waits until release is closed.
type writeGate struct {
	gated   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func newWriteGate() *writeGate {
	return &writeGate{entered: make(chan struct{}), release: make(chan struct{})}
}

// hold holds the calling write if the gate is set, and reports whether it
// did.
func (g *writeGate) hold() bool {
	if !g.gated.CompareAndSwap(true, false) {
		return false
	}
	close(g.entered)
	<-g.release
	return true
}

// updateGateStore holds Update at its gate: a store whose write is on its
// way.
type updateGateStore struct {
	store.Store
	*writeGate
}

func (s *updateGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	s.hold()
	return s.Store.Update(ctx, id, changes)
}

// TestAValueSetIsReadBackWhileTheCommitStoresIt: a handler that sets a
// value and reads it back must find it, also while the commit is storing
// it (the response is written by a goroutine of the handler's, a stream
// say). A commit that took the changes out of the pending map before the
// store's write and folded them back after it would have Get answer, in
// between, the value from before the Set.
func TestAValueSetIsReadBackWhileTheCommitStoresIt(t *testing.T) {
	st := &updateGateStore{Store: store.NewMemory(), writeGate: newWriteGate()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)

	var during any
	var seen bool
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark"))
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("streaming")) // commits: the Update waits
		}()
		<-st.entered
		during, seen = s.Get("theme") // the handler reads back what it set
		close(st.release)
		<-wrote
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.Equal(t, http.StatusOK, rec.Code)
	assert.True(t, seen, "Get during the commit lost the value the handler set")
	assert.Equal(t, "dark", during)
}

// TestASetAfterTheCommitIsNotLostToTheCommitsOlderWrite: once the commit
// has begun, a Set writes through. A Set that lands while the commit is
// still storing the value held before it returns nil, and the store must
// then keep the newer value: the commit's older write arriving last must
// not overwrite it (a write answered as saved, then lost).
func TestASetAfterTheCommitIsNotLostToTheCommitsOlderWrite(t *testing.T) {
	st := &updateGateStore{Store: store.NewMemory(), writeGate: newWriteGate()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var lateErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("ok")) // commits: its Update waits
		}()
		<-st.entered
		lateErr = s.Set("theme", "dark") // after the commit began: writes through
		close(st.release)
		<-wrote
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, lateErr)
	s := env.M.GetSessionById(created.GetId())
	require.NotNil(t, s)
	v, _ := s.Get("theme")
	assert.Equal(t, "dark", v, "the later Set returned nil, but the commit's older value overwrote it")
}

// failGateStore holds Update, while gated is set, until release is closed,
// having closed entered, and then fails it without writing: a store that
// goes away while the commit's write is on its way.
type failGateStore struct {
	store.Store
	*writeGate
}

var errUpdateDown = fmt.Errorf("%w: update refused by the test", store.ErrUnavailable)

func (s *failGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.hold() {
		return errUpdateDown
	}
	return s.Store.Update(ctx, id, changes)
}

// TestACommitThatFailsWhileStoringDropsWhatItHeld: while the commit stores,
// Get finds the values the request set, and a Set from another goroutine
// joins the commit. When the store then fails, the error handler answers,
// and none of it stays: not in the store, not in what Get reads after (no
// value comes back that the store never took), and a later Set stores
// nothing, as after any failed commit.
func TestACommitThatFailsWhileStoringDropsWhatItHeld(t *testing.T) {
	st := &failGateStore{Store: store.NewMemory(), writeGate: newWriteGate()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)
	require.NoError(t, env.M.GetSessionById(created.GetId()).Set("theme", "light"))

	var during, after any
	var joinErr, lateErr error
	var langAfter bool
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark"))
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("streaming")) // commits: the Update waits, then fails
		}()
		<-st.entered
		during, _ = s.Get("theme")
		joinErr = s.Set("lang", "fr") // joins the commit on its way
		close(st.release)
		<-wrote
		after, _ = s.Get("theme")
		_, langAfter = s.Get("lang")
		lateErr = s.Set("user", "alice")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "the failed commit is answered through the error handler")
	assert.NotContains(t, rec.Body.String(), "streaming")
	assert.Equal(t, "dark", during, "Get during the commit lost the value the handler set")
	require.NoError(t, joinErr)
	assert.Equal(t, "light", after, "the failed commit left its value in the session")
	assert.False(t, langAfter, "the failed commit left the joined value in the session")
	assert.ErrorIs(t, lateErr, manager.ErrCommitFailed)

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	theme, _ := stored.Get("theme")
	assert.Equal(t, "light", theme)
	for _, k := range []string{"lang", "user"} {
		_, ok := stored.Get(k)
		assert.False(t, ok, "%s reached the store behind a failed commit", k)
	}
}

// laterFailGateStore holds Update, while gated is set, until release is
// closed, having closed entered, and then stores it; while failLater is
// set, it fails the next Update after that one without writing.
type laterFailGateStore struct {
	store.Store
	*writeGate
	failLater atomic.Bool
}

func (s *laterFailGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.hold() {
		return s.Store.Update(ctx, id, changes)
	}
	if s.failLater.CompareAndSwap(true, false) {
		return errUpdateDown
	}
	return s.Store.Update(ctx, id, changes)
}

// TestASetThatJoinsTheCommitFailsWithIt: a Set made while the commit
// stores joins it and returns nil, as a held Set does; the commit stores it
// after its own write. When that write fails, the value is not in the
// store, so the response must not be a 200: the commit fails and the error
// handler answers. The commit's own write landed and stays; the joined
// value does not come back in the session, and a later Set stores nothing.
func TestASetThatJoinsTheCommitFailsWithIt(t *testing.T) {
	st := &laterFailGateStore{Store: store.NewMemory(), writeGate: newWriteGate()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var joinErr, lateErr error
	var after any
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("saved")) // commits: its Update waits
		}()
		<-st.entered
		st.failLater.Store(true)
		joinErr = s.Set("theme", "dark") // joins the commit on its way
		close(st.release)
		<-wrote
		after, _ = s.Get("theme")
		lateErr = s.Set("user", "alice")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.NoError(t, joinErr)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "the joined Set returned nil and was not stored, yet the response went on")
	assert.NotContains(t, rec.Body.String(), "saved")
	assert.Equal(t, "light", after, "the session shows a value the store never took")
	assert.ErrorIs(t, lateErr, manager.ErrCommitFailed)

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	theme, _ := stored.Get("theme")
	assert.Equal(t, "light", theme, "the commit's own write landed")
	_, ok := stored.Get("user")
	assert.False(t, ok, "a Set after the failed commit reached the store")
}

// twoGateStore holds the first Update made while armed is set until
// releaseFirst is closed (having closed firstIn), and the second until
// releaseSecond is closed (having closed secondIn), failing that one
// without writing.
type twoGateStore struct {
	store.Store
	armed                   atomic.Bool
	n                       atomic.Int64
	firstIn, releaseFirst   chan struct{}
	secondIn, releaseSecond chan struct{}
}

func (s *twoGateStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.armed.Load() {
		switch s.n.Add(1) {
		case 1:
			close(s.firstIn)
			<-s.releaseFirst
		case 2:
			close(s.secondIn)
			<-s.releaseSecond
			return errUpdateDown
		}
	}
	return s.Store.Update(ctx, id, changes)
}

// TestASetDuringTheCommitsLastWriteWaitsForIt: a Set made while the commit
// stores what joined its first write does not join again (the commit
// would then store for as long as Sets come): it waits for that write, and
// when that write fails, it fails too (ErrCommitFailed) rather than return
// nil for a value that the failed commit dropped.
func TestASetDuringTheCommitsLastWriteWaitsForIt(t *testing.T) {
	st := &twoGateStore{Store: store.NewMemory(),
		firstIn: make(chan struct{}), releaseFirst: make(chan struct{}),
		secondIn: make(chan struct{}), releaseSecond: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var joinErr, waitErr error
	var returnedEarly bool
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.armed.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("saved")) // commits
		}()
		<-st.firstIn
		joinErr = s.Set("lang", "fr") // joins: stored by the second write
		close(st.releaseFirst)
		<-st.secondIn
		setDone := make(chan struct{})
		go func() {
			defer close(setDone)
			waitErr = s.Set("user", "alice") // during the last write
		}()
		select {
		case <-setDone:
			returnedEarly = true
		case <-time.After(50 * time.Millisecond):
		}
		close(st.releaseSecond)
		<-setDone
		<-wrote
		st.armed.Store(false)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.NoError(t, joinErr)
	assert.False(t, returnedEarly, "a Set made during the commit's last write returned before that write did")
	assert.ErrorIs(t, waitErr, manager.ErrCommitFailed, "the Set waited for a write that failed the commit")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	theme, _ := stored.Get("theme")
	assert.Equal(t, "light", theme, "the commit's own write landed")
	for _, k := range []string{"lang", "user"} {
		_, ok := stored.Get(k)
		assert.False(t, ok, "%s reached the store behind a failed commit", k)
	}
}

// maxCommitWrites is how many store writes the commit may make before the
// test calls it starved: a commit that stores its own changes and, once,
// what joined it needs two or three.
const maxCommitWrites = 200

// busySetStore lets each Update made while watching is set wait until a
// goroutine of the handler has made a Set that began after the Update did
// (sets counts them), as a handler that reports progress often does while
// a store write is on its way. Should a Set wait for the write, the Update goes on after a second
// rather than deadlock. It counts the Updates made while watching and
// closes starved once they reach maxCommitWrites.
type busySetStore struct {
	store.Store
	watching atomic.Bool
	sets     atomic.Int64
	writes   atomic.Int64
	starved  chan struct{}
}

func (s *busySetStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.watching.Load() {
		if s.writes.Add(1) == maxCommitWrites {
			close(s.starved)
		}
		// The Set counted second from now began after this write did.
		seen := s.sets.Load()
		deadline := time.Now().Add(time.Second)
		for s.sets.Load() < seen+2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Microsecond)
		}
	}
	return s.Store.Update(ctx, id, changes)
}

// TestACommitIsNotStarvedBySetsMadeWhileItStores: a Set made while the
// commit stores joins it, and the commit stores what joined after its own
// write, and no more: a goroutine of the handler that keeps setting a
// value (progress of a long job, say) must not keep the commit storing for
// ever, since the response's first byte waits for the commit.
func TestACommitIsNotStarvedBySetsMadeWhileItStores(t *testing.T) {
	st := &busySetStore{Store: store.NewMemory(), starved: make(chan struct{})}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)

	var starved bool
	var writesBeforeResponse int64
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("job", "started")) // held for the commit

		stop := make(chan struct{})
		progressDone := make(chan struct{})
		go func() { // reports progress until the handler is done
			defer close(progressDone)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_ = s.Set("progress", i)
				st.sets.Add(1)
				time.Sleep(10 * time.Microsecond)
			}
		}()

		st.watching.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("accepted")) // commits first
		}()
		select {
		case <-wrote:
			writesBeforeResponse = st.writes.Load()
		case <-st.starved:
			starved = true
		}
		close(stop) // the stream of Sets ends: a starved commit drains now
		<-progressDone
		<-wrote
		st.watching.Store(false)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	assert.False(t, starved, "the commit made %d store writes for Sets joining it while a goroutine kept setting a value, and the response had not started", maxCommitWrites)
	assert.Less(t, writesBeforeResponse, int64(maxCommitWrites))
	assert.Equal(t, http.StatusOK, rec.Code)
}

// deadlineStore records the deadline of each Update made while watching
// is set, and holds the first until release is closed, having closed
// entered.
type deadlineStore struct {
	store.Store
	*writeGate
	watching  atomic.Bool
	mu        sync.Mutex
	deadlines []time.Time
}

func (s *deadlineStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.watching.Load() {
		d, _ := ctx.Deadline()
		s.mu.Lock()
		s.deadlines = append(s.deadlines, d)
		s.mu.Unlock()
	}
	s.hold()
	return s.Store.Update(ctx, id, changes)
}

// TestACommitsWritesShareOneDeadline: the commit stores what joined its
// write in one more write; the response waits for both, so both run within
// one StoreWriteTimeout, not one each.
func TestACommitsWritesShareOneDeadline(t *testing.T) {
	st := &deadlineStore{Store: store.NewMemory(), writeGate: newWriteGate()}
	env := testkit.NewEnv(t, manager.Options{Store: st, StoreWriteTimeout: time.Minute}, nil)
	_, ck := env.Create(t)

	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "light")) // held for the commit
		st.watching.Store(true)
		st.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("ok")) // commits: its Update waits
		}()
		<-st.entered
		require.NoError(t, s.Set("lang", "fr")) // joins: a second write
		close(st.release)
		<-wrote
		st.watching.Store(false)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.Equal(t, http.StatusOK, rec.Code)
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Len(t, st.deadlines, 2, "the commit's own write and the joined one")
	require.False(t, st.deadlines[0].IsZero(), "the commit's write has a deadline")
	assert.Equal(t, st.deadlines[0], st.deadlines[1], "the joined write got a deadline of its own")
}

// panicOnceStore panics in the next Update while armed is set, as a
// store with a bug (or a codec that panics on a value) does.
type panicOnceStore struct {
	store.Store
	armed atomic.Bool
}

func (s *panicOnceStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if s.armed.CompareAndSwap(true, false) {
		panic("store: update exploded")
	}
	return s.Store.Update(ctx, id, changes)
}

// TestAStoreThatPanicsInTheCommitLeavesNoValueOnItsWay: the commit puts
// its changes in the session's written map and marks it storing before the
// store's write, and takes both back only when the write returns. A write
// that panics instead (recovered by the handler, or by a recovery
// middleware while a goroutine of the handler goes on) leaves the session
// storing for good: Get answers a value the store never took, and every
// later Set is held for a commit that will never store it, yet returns nil.
// Before, the commit's changes were simply lost with the panic, and a
// later Set wrote through.
func TestAStoreThatPanicsInTheCommitLeavesNoValueOnItsWay(t *testing.T) {
	st := &panicOnceStore{Store: store.NewMemory()}
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	created, ck := env.Create(t)

	var recovered any
	var after any
	var lateErr error
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark")) // held for the commit
		st.armed.Store(true)
		func() {
			defer func() { recovered = recover() }()
			_, _ = w.Write([]byte("x")) // commits: the store panics
		}()
		after, _ = s.Get("theme")
		lateErr = s.Set("lang", "en") // after the commit: writes through
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))

	require.NotNil(t, recovered, "the store's panic reached the handler")
	assert.Nil(t, after, "Get answers a value the store never took")

	stored := env.M.GetSessionById(created.GetId())
	require.NotNil(t, stored)
	_, themeStored := stored.Get("theme")
	assert.False(t, themeStored)
	lang, _ := stored.Get("lang")
	if lateErr == nil {
		assert.Equal(t, "en", lang, "a Set after the commit returned nil, and its value never reached the store")
	}
}

// gatedFaultyStore is a FaultyStore whose Update waits, while gated is
// set, until release is closed, having closed entered.
type gatedFaultyStore struct {
	*testkit.FaultyStore
	gate *updateGateStore
}

// newGatedFaultyStore returns a gatedFaultyStore over a new memory store.
func newGatedFaultyStore() *gatedFaultyStore {
	fs := testkit.NewFaultyStore()
	fs.Err = store.ErrUnavailable
	return &gatedFaultyStore{
		FaultyStore: fs,
		gate:        &updateGateStore{Store: fs, writeGate: newWriteGate()},
	}
}

// logoutWhileCommitStores runs a request that holds a change, starts the
// response from a goroutine of the handler (so that the commit stores the
// change) and, while that write is on its way, calls Invalidate, as a
// handler whose logout runs beside a streaming writer does.
func logoutWhileCommitStores(t *testing.T, st *gatedFaultyStore, env *testkit.Env, ck *http.Cookie) *httptest.ResponseRecorder {
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := env.M.GetSession(r)
		require.NotNil(t, s)
		require.NoError(t, s.Set("theme", "dark")) // held for the commit
		st.gate.gated.Store(true)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			_, _ = w.Write([]byte("bye")) // commits: its Update waits
		}()
		<-st.gate.entered
		s.Invalidate() // the response has not started yet
		close(st.gate.release)
		<-wrote
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, testkit.RequestWith(ck))
	return rec
}

// TestALogoutThatFailsWhileTheCommitStoresIsNotAnswered200: a Set made
// while the commit stores joins the commit, and its failure answers the
// request through the error handler, since the response has not started.
// An Invalidate made in that same moment whose destroy fails is only
// logged ("after the response started", which it had not), and the
// response is a 200 for a logout that did not happen: the session lives
// on. Invalidate returns no error, so the handler cannot know.
func TestALogoutThatFailsWhileTheCommitStoresIsNotAnswered200(t *testing.T) {
	st := newGatedFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: st.gate}, nil)
	created, ck := env.Create(t)

	st.FailDelete.Store(true)
	rec := logoutWhileCommitStores(t, st, env, ck)
	st.FailDelete.Store(false)

	require.NotNil(t, env.M.GetSessionById(created.GetId()), "the logout failed: the session lives on")
	assert.NotEqual(t, http.StatusOK, rec.Code, "a logout that failed before the response started was answered 200")
	assert.NotContains(t, rec.Body.String(), "bye")
}

// TestALogoutWhileTheCommitStoresExpiresTheCookie: Invalidate within a
// request expires the session's cookie. Made while the commit stores,
// before the response's first byte, it destroys the session but sends no
// cookie: the commit read the scope's cookie work before it began to store.
func TestALogoutWhileTheCommitStoresExpiresTheCookie(t *testing.T) {
	st := newGatedFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: st.gate}, nil)
	created, ck := env.Create(t)

	rec := logoutWhileCommitStores(t, st, env, ck)

	require.Nil(t, env.M.GetSessionById(created.GetId()), "the session was destroyed")
	got := testkit.SessionCookie(t, rec, ck.Name) // fails the test when none was sent
	assert.Negative(t, got.MaxAge, "the cookie must expire")
}
