package manager_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// TestAnErrorHandlerKeepsTheWritersFlusher: an Options.ErrorHandler gets a
// writer it may stream its answer on, as a handler's writer: w.(http.Flusher)
// holds for the server's writer. HandleError now wraps w in a tracker (to
// send the default status when the handler wrote nothing), which embeds
// only http.ResponseWriter: the assertion fails, so an error handler that
// flushes its answer (an SSE error event, a long maintenance page) either
// stops flushing or, written as w.(http.Flusher).Flush(), panics, where it
// worked before the tracker.
func TestAnErrorHandlerKeepsTheWritersFlusher(t *testing.T) {
	for _, tt := range []struct {
		name      string
		breakIt   func(st *testkit.FaultyStore)
		setInside bool
	}{
		{name: "load failure", breakIt: func(st *testkit.FaultyStore) { st.FailLoad.Store(true) }},
		{name: "commit failure", breakIt: func(st *testkit.FaultyStore) { st.FailUpdate.Store(true) }, setInside: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := testkit.NewFaultyStore()
			flusher := false
			env := testkit.NewEnv(t, manager.Options{Store: st, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "event: error\n\n")
				var f http.Flusher
				f, flusher = w.(http.Flusher)
				if flusher {
					f.Flush()
				}
			}}, nil)
			_, ck := env.Create(t)
			st.Err = store.ErrUnavailable
			tt.breakIt(st)
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.setInside {
					_ = env.M.GetSession(r).Set("k", "v")
				}
				_, _ = io.WriteString(w, "saved")
			}))
			rec := testkit.Get(h, "/", ck)
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
			assert.True(t, flusher, "the error handler's writer lost http.Flusher")
			assert.True(t, rec.Flushed, "the error handler's answer was not flushed")
		})
	}
}
