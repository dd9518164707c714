package store

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestMemoryValuesOfOnePairFitIn48Bytes pins the layout that makes an idle
// session's values one allocation of 48 bytes: the built map's slot and the
// pair itself, with no slice header beside them (which made it 72 bytes, an
// 80-byte allocation), and a single pair kept in the values, not in a
// slice of its own.
func TestMemoryValuesOfOnePairFitIn48Bytes(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(memoryValues{}), uintptr(48), "memoryValues left the 48-byte size class")
	v := memoryValuesOf(map[string]any{"key": "login"})
	assert.Equal(t, []valuePair{{"key", "login"}}, v.pairs())
	assert.Same(t, &v.one[0], &v.pairs()[0], "a single pair is kept in the values")
	m := map[string]any{"key": "login"}
	allocs := testing.AllocsPerRun(100, func() { _ = memoryValuesOf(m) })
	assert.Equal(t, 1.0, allocs, "allocations to keep one pair")
}

// TestMemoryValuesPairsEveryCount checks that every number of pairs the
// layout keeps, including the one pair that looks like none ({"", nil}),
// comes back as the map it was made from.
func TestMemoryValuesPairsEveryCount(t *testing.T) {
	for _, m := range []map[string]any{
		{},
		{"a": 1},
		{"": nil},
		{"": 1},
		{"a": nil},
		{"a": 1, "b": 2},
		{"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7},
	} {
		assert.Equal(t, m, memoryValuesOf(m).asMap())
		assert.Len(t, memoryValuesOf(m).pairs(), len(m))
	}
}

// TestMemoryValuesOfSeveralPairsAllocateTwice: values of two to eight
// pairs cost the pairs' array and one allocation for the values and the
// slice header together, as they did before a single pair moved into the
// values' own slot. Boxing the slice into that slot cost a third, on every
// Update of a session not read since its last write.
func TestMemoryValuesOfSeveralPairsAllocateTwice(t *testing.T) {
	m := map[string]any{"a": 1, "b": 2}
	allocs := testing.AllocsPerRun(100, func() { _ = memoryValuesOf(m) })
	assert.Equal(t, 2.0, allocs, "allocations to keep two pairs")
	v := memoryValuesOf(m)
	assert.ElementsMatch(t, []valuePair{{"a", 1}, {"b", 2}}, v.pairs())
}
