package manager_test

import (
	"net/http"
	"testing"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// handlerReadAllocBudget is how many heap allocations a request that reads
// its session through Manager.Handler makes, over a handler that only
// answers: the scope (1, holding the session it found and the copy of the request
// that carries the scope), the commit writer (1) and the closure that
// runs next (1). Counts do not move with the machine's load; lower the
// budget when the code gets cheaper, never raise it to pass.
const handlerReadAllocBudget = 3

// discardResponse is a ResponseWriter that keeps nothing, so that a
// request's allocations are the handler's and the session layer's only.
type discardResponse struct{ h http.Header }

func (w discardResponse) Header() http.Header         { return w.h }
func (w discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (w discardResponse) WriteHeader(int)             {}

func TestHandlerReadAllocationBudget(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	m := env.M
	_, ck := env.Create(t)
	missed := 0
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := m.GetSession(r); s == nil {
			missed++
		} else {
			_, _ = s.Get("k")
		}
		w.WriteHeader(http.StatusOK)
	})
	h := m.Handler(read)
	req := testkit.RequestWith(ck)
	w := discardResponse{h: http.Header{}}
	serve := func(h http.Handler) func() {
		return func() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	}
	answer := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	floor := testing.AllocsPerRun(1000, serve(answer))
	got := testing.AllocsPerRun(1000, serve(h))
	t.Logf("allocations per request: answering alone %.2f, a read through Handler %.2f", floor, got)
	if missed > 0 {
		t.Fatalf("%d requests found no session", missed)
	}
	if got-floor > handlerReadAllocBudget {
		t.Fatalf("a read through Handler allocates %.2f more than answering alone; the budget is %d", got-floor, handlerReadAllocBudget)
	}
}
