package manager_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

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
// write, then what joined during that write, and so on until nothing is
// left. A goroutine of the handler that keeps setting a value (progress of
// a long job, say) then keeps the commit storing for ever: the response,
// whose first byte waits for the commit, never goes out. Before the commit
// held such Sets, each wrote through on its own and the response went on.
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
