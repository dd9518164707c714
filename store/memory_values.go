package store

import "sync/atomic"

// fewValues is how many keys a session's values may have and still be kept
// as pairs rather than as a map while nobody reads them. Go's smallest map
// costs 336 bytes (a header and a group of eight slots), more than all the
// rest an idle session with one short string costs; a pair costs 32.
const fewValues = 8

// valuePair is one key of a session's values.
type valuePair struct {
	key   string
	value any
}

// memoryValues is one version of a session's values. Load hands out a map
// (Record.Values), and building one on every read would cost a read an
// allocation, so the map is kept once built. A session written and not
// read since (an idle one: a login nobody came back to) keeps only pairs.
//
// The pairs never change. built, once set, holds the current map; Update of
// a session whose map was built stores the next map in the same
// memoryValues rather than a new one, so a write to a session in use costs
// no more than it did when the values were always a map. The first such
// Update makes new values without pairs instead, so that the pairs, which
// keep the values of the last write before the first read, are let go.
//
// It is 48 bytes, a size class of its own: the commonest session, an idle
// one holding one value, keeps that pair in it and costs one allocation of
// 48 bytes, where a slice header beside the pair made it 80 (see
// TestMemoryValuesOfOnePairFitIn48Bytes).
type memoryValues struct {
	// built holds a map[string]any that nobody writes to, or nothing yet.
	built atomic.Value
	// one holds the only pair when there is one. Otherwise its key is ""
	// and its value is nil (no pairs) or the *morePairs these values are
	// part of, a type no caller's value can have.
	one [1]valuePair
}

// morePairs is how memoryValues keeps any number of pairs but one: the
// values and the pairs' slice header in one allocation, the values' pair
// slot pointing at it (a pointer in an interface costs no allocation, a
// slice would). It is a type of its own so that a value a caller set can
// never be taken for it.
type morePairs struct {
	memoryValues
	pairs []valuePair
}

// newMorePairs returns values kept as pairs, any number but one.
func newMorePairs(pairs []valuePair) *memoryValues {
	more := &morePairs{pairs: pairs}
	more.one[0].value = more
	return &more.memoryValues
}

// newPairValues returns values kept as pairs; the caller gives up pairs.
func newPairValues(pairs []valuePair) *memoryValues {
	switch len(pairs) {
	case 0:
		return &memoryValues{}
	case 1:
		return newOnePairValues(pairs[0])
	}
	return newMorePairs(pairs)
}

// newOnePairValues returns values kept as the single pair p.
func newOnePairValues(p valuePair) *memoryValues {
	if p.key == "" && p.value == nil {
		// It would read as no pairs: it is kept as the others are.
		return newMorePairs([]valuePair{p})
	}
	return &memoryValues{one: [1]valuePair{p}}
}

// pairs returns the pairs v keeps; none once its map is the only copy.
func (v *memoryValues) pairs() []valuePair {
	p := &v.one[0]
	if p.key == "" {
		if more, ok := p.value.(*morePairs); ok {
			return more.pairs
		}
		if p.value == nil {
			return nil
		}
	}
	return v.one[:]
}

// newMapValues returns values kept as the map m, which nobody writes to.
func newMapValues(m map[string]any) *memoryValues {
	v := &memoryValues{}
	v.built.Store(m)
	return v
}

// memoryValuesOf returns m as the store keeps it: as pairs when it has at
// most fewValues keys, else as m itself.
func memoryValuesOf(m map[string]any) *memoryValues {
	if len(m) > fewValues {
		return newMapValues(m)
	}
	if len(m) == 1 {
		for k, v := range m {
			return newOnePairValues(valuePair{k, v})
		}
	}
	pairs := make([]valuePair, 0, len(m))
	for k, v := range m {
		pairs = append(pairs, valuePair{k, v})
	}
	return newPairValues(pairs)
}

// builtMap returns the map of v, or nil when none was built yet (or v is
// nil: the values are in the entry, see memory_inline_values.go).
func (v *memoryValues) builtMap() map[string]any {
	if v == nil {
		return nil
	}
	m, _ := v.built.Load().(map[string]any)
	return m
}

// asMap returns the values as a map that nobody writes to, building it
// from the pairs and keeping it on the first call. Concurrent first calls
// may each build one; the first kept is the one every later call returns.
func (v *memoryValues) asMap() map[string]any {
	if m := v.builtMap(); m != nil {
		return m
	}
	pairs := v.pairs()
	m := make(map[string]any, len(pairs))
	for _, p := range pairs {
		m[p.key] = p.value
	}
	if v.built.CompareAndSwap(nil, m) {
		return m
	}
	return v.builtMap()
}

// apply returns the values with changes applied (a nil value deletes its
// key), as an Update publishes them: in place with a new map when v's map
// was built (the session is read, so its next read wants a map), else as
// new values, kept as pairs when few enough. It reports whether it changed
// v in place. The caller serialises the writers of v.
func (v *memoryValues) apply(changes map[string]any) (next *memoryValues, inPlace bool) {
	if current := v.builtMap(); current != nil {
		m := make(map[string]any, len(current)+len(changes))
		for k, val := range current {
			m[k] = val
		}
		applyChanges(m, changes)
		if v.pairs() != nil {
			// The pairs the map was built from still hold the values as
			// they were; kept, a value deleted or replaced now would stay
			// reachable for the session's life. New values drop them,
			// once: later writes find no pairs and change v in place.
			return newMapValues(m), false
		}
		v.built.Store(m)
		return v, true
	}
	return valuesOfPairs(applyPairs(v.pairs(), changes)), false
}

// applyPairs returns a new slice of current with changes applied (a nil
// value deletes its key).
func applyPairs(current []valuePair, changes map[string]any) []valuePair {
	pairs := make([]valuePair, 0, len(current)+len(changes))
	for _, p := range current {
		if _, changed := changes[p.key]; !changed {
			pairs = append(pairs, p)
		}
	}
	for k, val := range changes {
		if val != nil {
			pairs = append(pairs, valuePair{k, val})
		}
	}
	return pairs
}

// valuesOfPairs returns pairs as the store keeps them: as pairs when few
// enough, else as a map. The caller gives up pairs.
func valuesOfPairs(pairs []valuePair) *memoryValues {
	if len(pairs) > fewValues {
		m := make(map[string]any, len(pairs))
		for _, p := range pairs {
			m[p.key] = p.value
		}
		return newMapValues(m)
	}
	return newPairValues(pairs)
}

// applyChanges applies changes to m: a nil value deletes its key, any
// other value replaces it.
func applyChanges(m, changes map[string]any) {
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
}
