package store

// A session's entry outlives the session: its filings in the shard's expiry
// heap point at it until they are popped or compacted away, which for a
// session ended early (a logout with Delete, DeleteUserSession, the end of
// a session renewed from another ID) comes at its deadline, a month later
// with a month-long MaxAge. All a filing asks of the entry is gone and gen;
// so once nothing else needs the entry, it lets go of what it held for the
// session (its values, its user, its former IDs), and a large cached value
// or a token the session held goes with the session rather than a month
// later (see TestMemoryEndedSessionValuesAreReleased).

// release lets go of all e held for its session but what its filings read.
// e has left its shard (dead and gone) and its record was built: the caller
// is the one that took it out, so no one else reads its values, its rare
// part or its ID any more. e.mu orders it after any Update that found e
// before it left.
func (e *memoryEntry) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.values.Store(nil)
	e.first = valuePair{}
	e.rare = nil
}

// becomeTombstone makes e, whose session was just renewed to another ID,
// the tombstone Renew leaves under the old ID: it keeps what a lookup of
// that ID and a sweep of its deadline read (its ID, its times), and lets go
// of the values, the user and the former IDs, which went with the session.
// The caller holds e's shard's write lock and e.mu.
func (e *memoryEntry) becomeTombstone() {
	e.dead, e.renewed = true, true
	e.values.Store(nil)
	e.first = valuePair{}
	if e.rare != nil {
		e.editRare(func(r *entryRare) {
			r.binding = binding{}
			r.formerIDs = nil
		})
	}
}
