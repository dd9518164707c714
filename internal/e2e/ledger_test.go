package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// ledger records the events of every manager sharing a store, keyed by
// masked ID: a session swept from Redis is known by its masked ID alone.
//
// Renewal gives a session a new ID and so a new masked ID; the ledger
// learns the link from the store itself (see linkingStore), so that it can
// count sessions rather than IDs: one Created per session, and exactly one
// Destroyed, under the last ID the session had.
type ledger struct {
	mu        sync.Mutex
	created   map[string]int
	destroyed map[string]int
	updates   int
	// renamedFrom maps the masked ID a session was renewed to onto the one
	// it had before.
	renamedFrom map[string]string
	renamedTo   map[string]string
}

func newLedger() *ledger {
	return &ledger{
		created:     map[string]int{},
		destroyed:   map[string]int{},
		renamedFrom: map[string]string{},
		renamedTo:   map[string]string{},
	}
}

// handle is the managers' event handler.
func (l *ledger) handle(s manager.Session, event int) {
	masked := s.GetMaskedSessionId()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch event {
	case manager.Created:
		l.created[masked]++
	case manager.Destroyed:
		l.destroyed[masked]++
	case manager.Update:
		l.updates++
	}
}

// renamed records that the store moved a session from oldID to newID.
func (l *ledger) renamed(oldID, newID string) {
	l.renamedMasked(store.MaskedID(oldID), store.MaskedID(newID))
}

// renamedMasked records that the store moved a session from the masked ID
// from to the masked ID to.
func (l *ledger) renamedMasked(from, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.renamedFrom[to] = from
	l.renamedTo[from] = to
}

// totals returns how many Created and Destroyed events fired.
func (l *ledger) totals() (created, destroyed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.created {
		created += n
	}
	for _, n := range l.destroyed {
		destroyed += n
	}
	return created, destroyed
}

// violations returns, sorted, every way the events break "Destroyed exactly
// once per session": an ID created or destroyed twice, a session destroyed
// under an ID it had been renewed away from, a Destroyed for a session that
// was never created, a created session never destroyed, and a session
// destroyed under two of its IDs. Call it once every session has ended.
func (l *ledger) violations() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for m, n := range l.created {
		if n != 1 {
			out = append(out, fmt.Sprintf("ID %s: Created fired %d times", m, n))
		}
	}
	endings := map[string][]string{} // session (its first masked ID) -> IDs destroyed
	for m, n := range l.destroyed {
		if n != 1 {
			out = append(out, fmt.Sprintf("ID %s: Destroyed fired %d times", m, n))
		}
		if next, ok := l.renamedTo[m]; ok {
			out = append(out, fmt.Sprintf("ID %s: Destroyed fired after it was renewed to %s", m, next))
		}
		root := l.rootOf(m)
		if l.created[root] == 0 {
			out = append(out, fmt.Sprintf("ID %s: Destroyed fired for a session never created (first ID %s)", m, root))
			continue
		}
		endings[root] = append(endings[root], m)
	}
	for root := range l.created {
		switch ends := endings[root]; {
		case len(ends) == 0:
			out = append(out, fmt.Sprintf("session %s (last ID %s): created, never destroyed", root, l.lastOf(root)))
		case len(ends) > 1:
			slices.Sort(ends)
			out = append(out, fmt.Sprintf("session %s: destroyed under %d of its IDs %v", root, len(ends), ends))
		}
	}
	slices.Sort(out)
	return out
}

// rootOf follows renewals back to the masked ID a session was created with.
// The caller holds l.mu.
func (l *ledger) rootOf(m string) string { return follow(m, l.renamedFrom) }

// lastOf follows renewals forward to a session's latest masked ID. The
// caller holds l.mu.
func (l *ledger) lastOf(m string) string { return follow(m, l.renamedTo) }

// follow follows the links from m to the end of their chain. A loop of
// renewals ends where it began: it is reported under any of its IDs.
func follow(m string, links map[string]string) string {
	for seen := 0; seen <= len(links); seen++ {
		next, ok := links[m]
		if !ok {
			return m
		}
		m = next
	}
	return m
}

// linkingStore tells the ledger of every renewal the store carried out, so
// that the ledger can follow a session across its IDs. It changes nothing
// else.
type linkingStore struct {
	store.Store
	ledger *ledger
}

var (
	_ store.Store        = (*linkingStore)(nil)
	_ store.ValueChecker = (*linkingStore)(nil)
)

func (s *linkingStore) Renew(ctx context.Context, oldID, newID string, now time.Time) error {
	err := s.Store.Renew(ctx, oldID, newID, now)
	if err == nil {
		s.ledger.renamed(oldID, newID)
	}
	return err
}

// CheckValue passes the wrapped store's check through, so that the manager
// refuses at Set time what the store cannot keep, as it would unwrapped.
func (s *linkingStore) CheckValue(key string, value any) error {
	if c, ok := s.Store.(store.ValueChecker); ok {
		return c.CheckValue(key, value)
	}
	return nil
}
