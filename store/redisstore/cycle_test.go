package redisstore_test

import (
	"encoding/gob"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store/redisstore"
)

// cycleNode is a gob-registered type that can reach itself through a
// pointer or through an interface field.
type cycleNode struct {
	Name string
	Next *cycleNode
	Any  any
}

func init() { gob.RegisterName("sessionkit.test.cycleNode", cycleNode{}) }

// checkingStores returns a gob and a JSON store for CheckValue, which
// never talks to Redis.
func checkingStores(t *testing.T) map[string]checkingStore {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialed
	t.Cleanup(func() { _ = client.Close() })
	return map[string]checkingStore{
		"gob":  asChecking(redisstore.New(client)),
		"json": asChecking(redisstore.New(client, redisstore.WithCodec(redisstore.JSON()))),
	}
}

// TestCheckValueRefusesCycles checks that a value that contains itself is
// refused with an error naming its key, on both codecs, instead of
// overflowing the encoder's stack: a fatal error that no recover catches, so
// before the check this test took its whole process down.
func TestCheckValueRefusesCycles(t *testing.T) {
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
	for codec, s := range checkingStores(t) {
		for _, tc := range tests {
			t.Run(codec+"/"+tc.name, func(t *testing.T) {
				err := s.CheckValue("cart", tc.value)
				require.Error(t, err)
				assert.ErrorContains(t, err, `key "cart"`)
				want := "contains itself"
				if codec == "json" {
					want = tc.json
				}
				assert.ErrorContains(t, err, want)
			})
		}
	}
}

// TestCheckValueSharedPartsAreNotCycles checks that a value holding one
// part twice is kept, and that one whose shared parts would encode to more
// than the size limit is refused by the walk before the encoder spends the
// memory (here 2^30 leaves).
func TestCheckValueSharedPartsAreNotCycles(t *testing.T) {
	part := []any{"a", map[string]any{"b": true}}
	shared := map[string]any{"x": part, "y": part}

	blowup := []any{"leaf"}
	for range 30 {
		blowup = []any{blowup, blowup}
	}
	for codec, s := range checkingStores(t) {
		t.Run(codec, func(t *testing.T) {
			assert.NoError(t, s.CheckValue("cart", shared))
			err := s.CheckValue("cart", blowup)
			require.ErrorIs(t, err, redisstore.ErrValueTooLarge)
			assert.ErrorContains(t, err, `key "cart"`)
		})
	}
}
