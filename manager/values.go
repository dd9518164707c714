package manager

import (
	"errors"
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
	case []byte:
		return slices.Clone(v), c.count(len(v))
	case []string:
		return slices.Clone(v), c.count(len(v))
	case []bool:
		return slices.Clone(v), c.count(len(v))
	case []int:
		return slices.Clone(v), c.count(len(v))
	case []int64:
		return slices.Clone(v), c.count(len(v))
	case []float64:
		return slices.Clone(v), c.count(len(v))
	case map[string]string:
		return maps.Clone(v), c.count(len(v))
	case map[string]bool:
		return maps.Clone(v), c.count(len(v))
	case map[string]int:
		return maps.Clone(v), c.count(len(v))
	case map[string]int64:
		return maps.Clone(v), c.count(len(v))
	case map[string]float64:
		return maps.Clone(v), c.count(len(v))
	}
	return v, nil
}

func (c *valueCopier) count(n int) error {
	c.nodes += n
	if c.nodes > maxValueNodes {
		return errValueTooBig
	}
	return nil
}

// enter records that the container id is being copied, or reports why it
// must not be.
func (c *valueCopier) enter(id containerID, n, depth int) error {
	if depth >= maxValueDepth {
		return errValueTooDeep
	}
	if slices.Contains(c.path, id) {
		return errValueCycle
	}
	c.path = append(c.path, id)
	return c.count(n)
}

// leave records that the container id is copied, as cp.
func (c *valueCopier) leave(id containerID, cp any, depth int) {
	c.path = c.path[:len(c.path)-1]
	if depth > 0 {
		if c.copied == nil {
			c.copied = make(map[containerID]any)
		}
		c.copied[id] = cp
	}
}

func (c *valueCopier) copyMap(m map[string]any, depth int) (any, error) {
	if m == nil {
		return m, nil
	}
	id := containerID{p: reflect.ValueOf(m).Pointer()}
	if cp, ok := c.copied[id]; ok {
		return cp, nil
	}
	if err := c.enter(id, len(m), depth); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		ce, err := c.copy(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = ce
	}
	c.leave(id, out, depth)
	return out, nil
}

func (c *valueCopier) copySlice(s []any, depth int) (any, error) {
	if len(s) == 0 {
		return slices.Clone(s), nil // nothing inside: no cycle possible
	}
	id := containerID{p: reflect.ValueOf(s).Pointer(), n: len(s)}
	if cp, ok := c.copied[id]; ok {
		return cp, nil
	}
	if err := c.enter(id, len(s), depth); err != nil {
		return nil, err
	}
	out := make([]any, len(s))
	for i, e := range s {
		ce, err := c.copy(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = ce
	}
	c.leave(id, out, depth)
	return out, nil
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
