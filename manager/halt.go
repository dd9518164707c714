package manager

import (
	"sync"

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
	once  sync.Once
	err   error
}

func newHalter(owned store.Store) *halter {
	return &halter{stop: make(chan struct{}), sweeping: make(chan struct{}), owned: owned}
}

// halt stops the sweeper, waits for it to return (one store batch at
// most), then closes the owned store. It is safe to call more than once
// and from many goroutines; each call returns the store's Close error.
func (h *halter) halt() error {
	h.once.Do(func() {
		close(h.stop)
		<-h.sweeping
		if h.owned != nil {
			h.err = h.owned.Close()
		}
	})
	return h.err
}
