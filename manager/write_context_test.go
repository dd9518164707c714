package manager_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// contextCheckingStore refuses a write whose context is already cancelled,
// as a network store does, and records the deadline each write was given.
type contextCheckingStore struct {
	store.Store
	mu        sync.Mutex
	deadlines []time.Duration // time left when each write began; -1: none
}

func (s *contextCheckingStore) check(ctx context.Context) error {
	left := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	s.mu.Lock()
	s.deadlines = append(s.deadlines, left)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *contextCheckingStore) Create(ctx context.Context, id string, rec store.Record) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.Store.Create(ctx, id, rec)
}

func (s *contextCheckingStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.Store.Update(ctx, id, changes)
}

func (s *contextCheckingStore) Delete(ctx context.Context, id string) (store.Record, bool, error) {
	if err := s.check(ctx); err != nil {
		return store.Record{}, false, err
	}
	return s.Store.Delete(ctx, id)
}

func (s *contextCheckingStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.Store.Renew(ctx, oldID, newID, now)
}

// TestWritesOutliveTheClient: a client that goes away cancels its request's
// context. The store writes that create, change, renew or end a session must
// still happen (a logout cut short would leave the session alive), each
// bounded by Options.StoreWriteTimeout.
func TestWritesOutliveTheClient(t *testing.T) {
	cs := &contextCheckingStore{Store: store.NewMemory()}
	env := testkit.NewEnv(t, manager.Options{Store: cs, StoreWriteTimeout: 3 * time.Second}, nil)
	_, ck := env.Create(t)

	// cancelled runs the handler on a request whose client has gone away.
	cancelled := func(t *testing.T, ck *http.Cookie, handle func(w http.ResponseWriter, r *http.Request)) *httptest.ResponseRecorder {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		r := testkit.RequestWith(ck).WithContext(ctx)
		rec := httptest.NewRecorder()
		env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cancel()
			handle(w, r)
		})).ServeHTTP(rec, r)
		return rec
	}
	var renewed *http.Cookie
	steps := []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request)
		check  func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{"set", func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, env.M.GetSession(r).Set("k", "v"))
		}, func(t *testing.T, _ *httptest.ResponseRecorder) {
			assert.Equal(t, "v", testkit.ValueOf(env.M, ck.Value, "k"))
		}},
		{"renew", func(w http.ResponseWriter, r *http.Request) {
			_, err := env.M.RenewSession(r, w)
			require.NoError(t, err)
		}, func(t *testing.T, rec *httptest.ResponseRecorder) {
			renewed = testkit.SessionCookie(t, rec, manager.DefaultCookieName)
			assert.Nil(t, env.M.GetSessionById(ck.Value), "the old ID")
			assert.NotNil(t, env.M.GetSessionById(renewed.Value), "the new ID")
		}},
		{"destroy", func(w http.ResponseWriter, r *http.Request) {
			// The cookie of this step is the renewed one: see below.
			require.NoError(t, env.M.DestroySession(r, w))
		}, func(t *testing.T, _ *httptest.ResponseRecorder) {
			assert.Nil(t, env.M.GetSessionById(renewed.Value), "the session outlived a cancelled logout")
		}},
		{"create", func(w http.ResponseWriter, r *http.Request) {
			_, err := env.M.CreateSession(r, w)
			require.NoError(t, err)
		}, func(t *testing.T, rec *httptest.ResponseRecorder) {
			assert.NotNil(t, env.M.GetSessionById(testkit.SessionCookie(t, rec, manager.DefaultCookieName).Value))
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			use := ck
			if renewed != nil {
				use = renewed
			}
			rec := cancelled(t, use, step.handle)
			require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
			step.check(t, rec)
		})
	}

	cs.mu.Lock()
	defer cs.mu.Unlock()
	require.NotEmpty(t, cs.deadlines)
	for i, left := range cs.deadlines {
		assert.Truef(t, left > 0 && left <= 3*time.Second, "write %d: time left %v, want a deadline within StoreWriteTimeout", i, left)
	}
}
