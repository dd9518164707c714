package storetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// Profile is the struct type the Values subtest stores. A store that must
// know a type before it can decode it (encoding/gob) registers Profile in its
// test before calling [Run]; a store whose [store.ValueChecker] refuses it is
// not asked to keep it.
type Profile struct {
	Name   string
	Visits int
}

// requiredValues are kept by every store: sessions hold them all the time.
// A store that encodes values must give each back with its Go type, so a
// codec that turns an int into a float64 fails here.
func requiredValues() map[string]any {
	return map[string]any{
		"string":       "ünïcode ✓",
		"empty string": "",
		"true":         true,
		"false":        false,
		"int":          42,
		"negative int": -7,
		"zero int":     0,
		"float64":      3.25,
	}
}

// optionalValues are kept by a store that has no [store.ValueChecker] or
// whose CheckValue accepts them. Each is one that a network store can encode
// with encoding/gob (after registering the type) or a typed JSON encoding.
func optionalValues() map[string]any {
	return map[string]any{
		"int64":   int64(1<<53 + 1), // not exact as a float64
		"strings": []string{"a", "b"},
		"map":     map[string]any{"name": "ada", "admin": true},
		"time":    time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		"struct":  Profile{Name: "ada", Visits: 3},
	}
}

// testValues stores values of many Go types through Create and Update and
// checks that Load and Delete give each back equal and of the same type.
func testValues(t *testing.T, e *env) {
	values := requiredValues()
	checker, _ := e.s.(store.ValueChecker)
	if checker != nil {
		for _, k := range slices.Sorted(maps.Keys(values)) {
			require.NoError(t, checker.CheckValue(k, values[k]), "CheckValue(%q, %#v)", k, values[k])
		}
	}
	for k, v := range optionalValues() {
		if checker != nil {
			if err := checker.CheckValue(k, v); err != nil {
				t.Logf("store refuses %q (%T): %v; not checked", k, v, err)
				continue
			}
		}
		values[k] = v
	}

	id := newID(t)
	e.create(id, e.record(values))
	assertEachValue(t, "Create", values, e.mustLoad(id, e.base).Values)

	changes := make(map[string]any, len(values))
	for k, v := range values {
		changes["updated "+k] = v
	}
	e.update(id, changes)
	want := maps.Clone(values)
	maps.Copy(want, changes)
	assertEachValue(t, "Update", want, e.mustLoad(id, e.base).Values)

	rec, deleted := e.delete(id)
	require.True(t, deleted, "Delete")
	assertEachValue(t, "Delete", want, rec.Values)
}

// assertEachValue compares key by key, so that a failure names the value.
func assertEachValue(t *testing.T, via string, want, got map[string]any) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		assert.Equal(t, want[k], got[k], "%s: value %q", via, k)
	}
	assert.Len(t, got, len(want), "%s: number of values", via)
}
