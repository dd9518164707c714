package manager

import (
	"sync"
	"sync/atomic"

	"github.com/sessionkit/session/store"
)

// halter ends what a manager runs beside its callers: the sweeper and, when
// the manager made it, the store. Close halts it, and so does the cleanup
// that runs once nothing reaches the manager (see NewManager), which is why
// it holds nothing that leads back to the manager: a cleanup whose argument
// reaches its object never runs.
type halter struct {
	stop     chan struct{} // closed to stop the sweeper
	sweeping chan struct{} // closed when the sweeper has returned
	// owned is the store the manager made, closed once the sweeper is done;
	// nil when the store was passed in, which may be shared and is closed
	// by whoever made it.
	owned store.Store
	// handlers counts the sweeper's batches whose Destroyed handlers are
	// running. Close may be called from one of those handlers, which the
	// sweeper is waiting for: such a Close must not wait for the sweeper.
	handlers atomic.Int32

	stopOnce  sync.Once
	ownedOnce sync.Once
	err       error
}

func newHalter(owned store.Store) *halter {
	return &halter{stop: make(chan struct{}), sweeping: make(chan struct{}), owned: owned}
}

// halt stops the sweeper, waits for it to return (one store batch at
// most), then closes the owned store. It is safe to call more than once
// and from many goroutines; each call that waited returns the store's Close
// error.
//
// While the sweeper runs Destroyed handlers, halt cannot tell whether it is
// called from one of them, so it does not wait: a handler that closed its
// manager would otherwise wait for the sweeper that waits for the handler.
// The sweeper then fires the rest of its batch's events (those sessions
// are already gone from the store and each one's end is reported) and
// closes the owned store itself on its way out.
func (h *halter) halt() error {
	h.stopOnce.Do(func() { close(h.stop) })
	if h.handlers.Load() > 0 {
		return nil
	}
	<-h.sweeping
	return h.closeOwned()
}

// closeOwned closes the owned store once, whoever gets there first: a
// halt that waited for the sweeper, or the sweeper leaving after a halt.
func (h *halter) closeOwned() error {
	h.ownedOnce.Do(func() {
		if h.owned != nil {
			h.err = h.owned.Close()
		}
	})
	return h.err
}

// sweeperDone is deferred by the sweeper: it marks it returned and, when a
// halt stopped it, closes the owned store in case that halt could not wait
// (see halt). A sweeper stopped by GcStopChan leaves the store open: the
// manager still serves requests.
func (h *halter) sweeperDone() {
	close(h.sweeping)
	if closed(h.stop) {
		h.closeOwned()
	}
}
