package store

// An idle session holding one value keeps it in its entry (first), not in
// a memoryValues of its own: one allocation of 128 bytes a session rather
// than 96 and 48. The entry's values pointer is nil while first holds the
// values. The rules that keep this safe without a lock on every read:
//
//   - first is written only under the shard's write lock and the entry's
//     mu, or before the entry is published; it is read under the shard's
//     lock (a read lock suffices), or once the entry left the shard (dead,
//     so that no Update writes it any more).
//   - A read of a session whose values pointer is nil builds its map from
//     first and publishes it as new values, so that later reads take the
//     map as they would from any other values.
//   - An Update takes the shard's write lock while first holds anything,
//     current or stale: it writes the new values to first when they are
//     one pair, else to the values pointer, and clears first once it is
//     stale, so that a value deleted or replaced is let go as it is from
//     values kept apart (see TestMemoryDeletedValueOfReadSessionIsReleased).
//     Once first is clear and the pointer set, they stay so, and an Update
//     takes the read lock only, as before.

// inlineable reports whether values can be kept in an entry's first: no
// values, or one pair that does not read as none ({"", nil}).
func inlineable(pairs []valuePair) bool {
	return len(pairs) == 0 || len(pairs) == 1 && (pairs[0].key != "" || pairs[0].value != nil)
}

// hasFirst reports whether e's first holds a pair, current or stale.
func (e *memoryEntry) hasFirst() bool { return e.first.key != "" || e.first.value != nil }

// setValues keeps m as e's values; e is not published yet.
func (e *memoryEntry) setValues(m map[string]any) {
	if len(m) == 0 {
		return
	}
	if len(m) == 1 {
		for k, v := range m {
			if inlineable([]valuePair{{k, v}}) {
				e.first = valuePair{k, v}
				return
			}
		}
	}
	e.values.Store(memoryValuesOf(m))
}

// loadValues returns the current values as a map, which nobody writes to.
// The caller holds e's shard's lock, or e left the shard.
func (e *memoryEntry) loadValues() map[string]any {
	if v := e.values.Load(); v != nil {
		return v.asMap()
	}
	m := make(map[string]any, 1)
	if e.hasFirst() {
		m[e.first.key] = e.first.value
	}
	if e.dead {
		// Out of the shard (Delete, Sweep) or renewed away: no read will
		// come for the map, so it is not kept.
		return m
	}
	if e.values.CompareAndSwap(nil, newMapValues(m)) {
		return m
	}
	return e.values.Load().asMap() // a concurrent read built it first
}

// needsShardLock reports whether an Update of e must hold e's shard's write
// lock: while first holds a pair, current or stale. The caller holds the
// shard's lock.
func (e *memoryEntry) needsShardLock() bool {
	return e.values.Load() == nil || e.hasFirst()
}

// applyLocked applies changes to e's values. The caller holds e's shard's
// write lock and e.mu, so that no read of first runs meanwhile.
func (e *memoryEntry) applyLocked(changes map[string]any) {
	v := e.values.Load()
	if v != nil {
		if next, inPlace := v.apply(changes); !inPlace {
			e.values.Store(next)
		}
		e.first = valuePair{} // stale: the values pointer holds them now
		return
	}
	var current []valuePair
	if e.hasFirst() {
		current = []valuePair{e.first}
	}
	pairs := applyPairs(current, changes)
	if inlineable(pairs) {
		e.first = valuePair{}
		if len(pairs) == 1 {
			e.first = pairs[0]
		}
		return
	}
	e.values.Store(valuesOfPairs(pairs))
	e.first = valuePair{}
}
