package store

import (
	"encoding/gob"
	"math"
	"testing"
)

// walkProfile is a registered struct of the shape sessions hold: gob learns
// its type once, and the walk must then cost nothing.
type walkProfile struct {
	Name  string
	Tags  []string
	Count *int
	Next  *walkProfile
	Extra any
}

func init() { gob.RegisterName("sessionkit.test.walkProfile", walkProfile{}) }

// TestShapeWalkDoesNotAllocate checks the cost of the walk that runs on
// every Set of a codec value: for the values sessions hold (maps, slices,
// scalars and registered structs, once their type is known) it allocates
// nothing.
func TestShapeWalkDoesNotAllocate(t *testing.T) {
	one := 1
	values := map[string]any{
		"map of scalars":    map[string]any{"name": "ada", "admin": true, "n": 1.5, "list": []any{"a", nil}},
		"registered struct": walkProfile{Name: "ada", Tags: []string{"x"}, Count: &one, Next: &walkProfile{Extra: map[string]any{"a": 1.0}}},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			walk := func() {
				w := shape{budget: math.MaxInt, limit: math.MaxInt}
				if err := w.gobAny(v, 0); err != nil {
					t.Fatal(err)
				}
			}
			walk() // learn the types once
			if n := testing.AllocsPerRun(100, walk); n != 0 {
				t.Errorf("gob walk: %v allocations", n)
			}
		})
	}
	json := func() {
		w := shape{budget: math.MaxInt, limit: math.MaxInt}
		if err := w.json(values["map of scalars"], 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(100, json); n != 0 {
		t.Errorf("json walk: %v allocations", n)
	}
}
