package store_test

import (
	"encoding/gob"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// cycleNode is a gob-registered type that can reach itself through a
// pointer or through an interface field.
type cycleNode struct {
	Name string
	Next *cycleNode
	Any  any
}

func init() { gob.RegisterName("sessionkit.test.cycleNode", cycleNode{}) }

// codecs are the two codecs of the package, by name.
func codecs() map[string]store.Codec {
	return map[string]store.Codec{"gob": store.Gob(), "json": store.JSON()}
}

// TestCodecsRefuseCycles checks that a value that contains itself is
// refused with an error, on both codecs, instead of overflowing the
// encoder's stack: a fatal error that no recover catches, so before the
// check this test took its whole process down.
func TestCodecsRefuseCycles(t *testing.T) {
	selfMap := map[string]any{}
	selfMap["self"] = selfMap

	viaSlice := map[string]any{}
	viaSlice["list"] = []any{"a", viaSlice}

	selfSlice := []any{nil}
	selfSlice[0] = selfSlice

	wide := map[string]any{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		wide[k] = []any{wide, wide, wide}
	}

	var a, b cycleNode
	a.Next, b.Next = &b, &a

	self := cycleNode{}
	self.Next = &self

	viaInterface := map[string]any{}
	viaInterface["node"] = cycleNode{Any: viaInterface}

	const jsonRefusesType = "json codec keeps only"
	tests := []struct {
		name  string
		value any
		json  string // what the JSON codec's error says
	}{
		{"map contains itself", selfMap, "contains itself"},
		{"map contains itself through a slice", viaSlice, "contains itself"},
		{"slice contains itself", selfSlice, "contains itself"},
		{"map whose every value holds it", wide, "contains itself"},
		{"struct pointers in a ring", a, jsonRefusesType},
		{"struct points to itself", self, jsonRefusesType},
		{"map holds a struct whose interface field holds the map", viaInterface, jsonRefusesType},
	}
	for codec, c := range codecs() {
		for _, tc := range tests {
			t.Run(codec+"/"+tc.name, func(t *testing.T) {
				_, err := c.Encode(tc.value)
				require.Error(t, err)
				want := "contains itself"
				if codec == "json" {
					want = tc.json
				}
				assert.ErrorContains(t, err, want)
			})
		}
	}
}

// TestCodecsKeepSharedParts checks that a value holding one part twice is
// not taken for one that contains itself. (That shared parts count against
// a store's size limit is the value form's test.)
func TestCodecsKeepSharedParts(t *testing.T) {
	part := []any{"a", map[string]any{"b": true}}
	shared := map[string]any{"x": part, "y": part}
	for codec, c := range codecs() {
		t.Run(codec, func(t *testing.T) {
			data, err := c.Encode(shared)
			require.NoError(t, err)
			back, err := c.Decode(data)
			require.NoError(t, err)
			assert.Equal(t, shared, back)
		})
	}
}
