package manager

import (
	"errors"
	"iter"
	"maps"
	"reflect"
	"slices"
)

// Limits of the values copyValue walks. They keep a value that a program
// built by mistake (a map that contains itself, a chain nested a million
// deep) from crashing or hanging the process: Set refuses it with an error
// instead.
const (
	maxValueDepth = 1000
	maxValueNodes = 1 << 22
)

var (
	errValueCycle   = errors.New("the value contains itself")
	errValueTooDeep = errors.New("the value nests too deeply")
	errValueTooBig  = errors.New("the value holds too many elements")
)

// copyValue returns v with the built-in containers that sessions commonly
// hold copied: map[string]any and []any (deeply), and maps and slices of
// strings, bytes, booleans, ints and floats. Set stores the copy and Get
// hands out another, so that two requests of one session never share a map
// or a slice, and a value changed after Set changes nothing in the store
// until it is set again. Any other value (a struct, a pointer, a map of
// another type) is returned as it is: it stays shared, as documented.
func copyValue(v any) (any, error) {
	switch v.(type) {
	case nil, string, bool, int, int64, float64:
		// The values sessions hold most, and nothing to copy: answered
		// before a copier is made, since one escapes to the heap and every
		// Get and Set of such a value would pay for it.
		return v, nil
	}
	var c valueCopier
	return c.copy(v, 0)
}

type valueCopier struct {
	// path holds the containers being copied, from the value down, to
	// detect a cycle; nodes counts the elements copied.
	path  []containerID
	nodes int
	// copied maps each nested container copied so far to its copy, so that
	// a container held in several places is copied once and stays shared
	// in the copy. Made on the first nested container: flat values, the
	// common case, need none.
	copied map[containerID]any
}

// containerID names a map or a slice: its data pointer, and for a slice its
// length, since slices of one array share the pointer.
type containerID struct {
	p uintptr
	n int
}

func (c *valueCopier) copy(v any, depth int) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		return c.copyMap(v, depth)
	case []any:
		return c.copySlice(v, depth)
	}
	if clone, ok := flatClones[reflect.TypeOf(v)]; ok {
		cp, n := clone(v)
		return cp, c.count(n)
	}
	return v, nil
}

// flatClones copy the maps and slices of scalars that copyValue copies,
// each returning the copy and the number of elements copied.
var flatClones = map[reflect.Type]func(any) (any, int){
	reflect.TypeFor[[]byte]():             cloneSlice[[]byte],
	reflect.TypeFor[[]string]():           cloneSlice[[]string],
	reflect.TypeFor[[]bool]():             cloneSlice[[]bool],
	reflect.TypeFor[[]int]():              cloneSlice[[]int],
	reflect.TypeFor[[]int64]():            cloneSlice[[]int64],
	reflect.TypeFor[[]float64]():          cloneSlice[[]float64],
	reflect.TypeFor[map[string]string]():  cloneMap[map[string]string],
	reflect.TypeFor[map[string]bool]():    cloneMap[map[string]bool],
	reflect.TypeFor[map[string]int]():     cloneMap[map[string]int],
	reflect.TypeFor[map[string]int64]():   cloneMap[map[string]int64],
	reflect.TypeFor[map[string]float64](): cloneMap[map[string]float64],
}

func cloneSlice[S ~[]E, E any](v any) (any, int) {
	s := v.(S)
	return slices.Clone(s), len(s)
}

func cloneMap[M ~map[string]V, V any](v any) (any, int) {
	m := v.(M)
	return maps.Clone(m), len(m)
}

func (c *valueCopier) count(n int) error {
	c.nodes += n
	if c.nodes > maxValueNodes {
		return errValueTooBig
	}
	return nil
}

// copyContainer copies the n elements that all yields into out, through
// set, as the copy of the container id nested depth deep. A container
// already copied elsewhere in the value gives its copy again, so that it
// stays shared in the copy; one that contains itself, nests too deeply or
// takes the value past its size limit is refused.
func copyContainer[K any](c *valueCopier, id containerID, n, depth int, all iter.Seq2[K, any], out any, set func(K, any)) (any, error) {
	if cp, ok := c.copied[id]; ok {
		return cp, nil
	}
	if depth >= maxValueDepth {
		return nil, errValueTooDeep
	}
	if slices.Contains(c.path, id) {
		return nil, errValueCycle
	}
	if err := c.count(n); err != nil {
		return nil, err
	}
	c.path = append(c.path, id)
	for k, e := range all {
		ce, err := c.copy(e, depth+1)
		if err != nil {
			return nil, err
		}
		set(k, ce)
	}
	c.path = c.path[:len(c.path)-1]
	if depth > 0 {
		if c.copied == nil {
			c.copied = make(map[containerID]any)
		}
		c.copied[id] = out
	}
	return out, nil
}

func (c *valueCopier) copyMap(m map[string]any, depth int) (any, error) {
	if m == nil {
		return m, nil
	}
	out := make(map[string]any, len(m))
	id := containerID{p: reflect.ValueOf(m).Pointer()}
	return copyContainer(c, id, len(m), depth, maps.All(m), out, func(k string, v any) { out[k] = v })
}

func (c *valueCopier) copySlice(s []any, depth int) (any, error) {
	if len(s) == 0 {
		return slices.Clone(s), nil // nothing inside: no cycle possible
	}
	out := make([]any, len(s))
	id := containerID{p: reflect.ValueOf(s).Pointer(), n: len(s)}
	return copyContainer(c, id, len(s), depth, slices.All(s), out, func(i int, v any) { out[i] = v })
}

// mutable reports whether v may change without being set again: a map, a
// slice or a pointer. Setting such a value always counts as a change, since
// the session may already hold the very value it is handed (the common
// "get the cart, add an item, set the cart" pattern), which no comparison
// can tell from an unchanged one.
func mutable(v any) bool {
	switch reflect.TypeOf(v).Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer:
		return true
	}
	return false
}
