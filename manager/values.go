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

// copyValue returns v with every map and slice in it copied: the value
// itself when it is one, and every map and slice reachable from it through
// maps, slices, arrays and interface values, of any key and element type.
// Set stores the copy and Get hands out another, so that two requests of one
// session never share a map or a slice, and a value changed after Set
// changes nothing in the store until it is set again. A container held in
// several places of v is copied once and stays shared in the copy; nil maps
// and slices stay nil.
//
// Structs and pointers are not entered: a pointer is kept as it is, and a
// struct is copied as Go copies any value, field by field, so a map, slice
// or pointer in one of its fields stays shared. (reflect cannot set the
// unexported fields of a struct, so a deep copy of an arbitrary struct is
// out of reach; a struct's owner knows how to guard it.)
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

// containerID names a map or a slice: its data pointer, for a slice its
// length, since slices of one array share the pointer, and its type, since
// a map or slice converted to another type of the same underlying type
// (type M map[string]any; M(m)) shares its data too, and each place must
// get a copy of its own type.
type containerID struct {
	p uintptr
	n int
	t reflect.Type
}

var (
	anyMapType   = reflect.TypeFor[map[string]any]()
	anySliceType = reflect.TypeFor[[]any]()
)

func (c *valueCopier) copy(v any, depth int) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		return c.copyMap(v, depth)
	case []any:
		return c.copySlice(v, depth)
	}
	t := reflect.TypeOf(v)
	if clone, ok := flatClones[t]; ok {
		cp, n := clone(v)
		return cp, c.count(n)
	}
	if t == nil || !holdsContainer(t) {
		return v, nil
	}
	cp, err := c.copyOf(reflect.ValueOf(v), depth)
	if err != nil {
		return nil, err
	}
	return cp.Interface(), nil
}

// holdsContainer reports whether a value of type t is, or may hold, a map
// or a slice that copyValue copies: a map, a slice, an interface (which may
// hold anything) or an array of those. Structs and pointers are not
// entered, and a zero-size array holds nothing.
func holdsContainer(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map, reflect.Slice, reflect.Interface:
		return true
	case reflect.Array:
		return t.Len() > 0 && holdsContainer(t.Elem())
	}
	return false
}

// flatClones copy the maps and slices of scalars that sessions commonly
// hold without reflect, each returning the copy and the number of elements
// copied.
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

// enter is called before the n elements of the container id, nested depth
// deep, are copied. A container already copied elsewhere in the value gives
// its copy again (done), so that it stays shared in the copy; one that
// contains itself, nests too deeply or takes the value past its size limit
// is refused. Otherwise the caller copies the elements and calls leave.
func (c *valueCopier) enter(id containerID, n, depth int) (cp any, done bool, err error) {
	if cp, ok := c.copied[id]; ok {
		return cp, true, nil
	}
	if depth >= maxValueDepth {
		return nil, false, errValueTooDeep
	}
	if slices.Contains(c.path, id) {
		return nil, false, errValueCycle
	}
	if err := c.count(n); err != nil {
		return nil, false, err
	}
	c.path = append(c.path, id)
	return nil, false, nil
}

// leave records out as the copy of the container id that enter let in.
func (c *valueCopier) leave(id containerID, depth int, out any) {
	c.path = c.path[:len(c.path)-1]
	if depth > 0 {
		if c.copied == nil {
			c.copied = make(map[containerID]any)
		}
		c.copied[id] = out
	}
}

func (c *valueCopier) copyMap(m map[string]any, depth int) (any, error) {
	if m == nil {
		return m, nil
	}
	id := containerID{p: reflect.ValueOf(m).Pointer(), t: anyMapType}
	if cp, done, err := c.enter(id, len(m), depth); done || err != nil {
		return cp, err
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		ce, err := c.copy(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = ce
	}
	c.leave(id, depth, out)
	return out, nil
}

func (c *valueCopier) copySlice(s []any, depth int) (any, error) {
	if len(s) == 0 {
		return slices.Clone(s), nil // nothing inside: no cycle possible
	}
	id := containerID{p: reflect.ValueOf(s).Pointer(), n: len(s), t: anySliceType}
	if cp, done, err := c.enter(id, len(s), depth); done || err != nil {
		return cp, err
	}
	out := make([]any, len(s))
	for i, e := range s {
		ce, err := c.copy(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = ce
	}
	c.leave(id, depth, out)
	return out, nil
}

// copyOf copies v, a value of a type that holdsContainer, through reflect:
// the maps and slices of types copy has no fast path for, the arrays that
// hold them, and interface values inside them.
func (c *valueCopier) copyOf(v reflect.Value, depth int) (reflect.Value, error) {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v, nil
		}
		cp, err := c.copy(v.Elem().Interface(), depth)
		if err != nil {
			return v, err
		}
		return reflect.ValueOf(cp), nil
	case reflect.Map:
		return c.copyMapOf(v, depth)
	case reflect.Slice:
		return c.copySliceOf(v, depth)
	case reflect.Array:
		return c.copyArrayOf(v, depth)
	}
	return v, nil
}

func (c *valueCopier) copyMapOf(v reflect.Value, depth int) (reflect.Value, error) {
	if v.IsNil() {
		return v, nil
	}
	deep := holdsContainer(v.Type().Elem())
	id := containerID{p: v.Pointer(), t: v.Type()}
	if deep {
		if cp, done, err := c.enter(id, v.Len(), depth); done || err != nil {
			return reflect.ValueOf(cp), err
		}
	} else if err := c.count(v.Len()); err != nil {
		return v, err
	}
	out := reflect.MakeMapWithSize(v.Type(), v.Len())
	for it := v.MapRange(); it.Next(); {
		// Keys are comparable, so they hold no map or slice to copy.
		e := it.Value()
		if deep {
			var err error
			if e, err = c.copyOf(e, depth+1); err != nil {
				return v, err
			}
		}
		out.SetMapIndex(it.Key(), e)
	}
	if deep {
		c.leave(id, depth, out.Interface())
	}
	return out, nil
}

func (c *valueCopier) copySliceOf(v reflect.Value, depth int) (reflect.Value, error) {
	if v.IsNil() {
		return v, nil
	}
	n := v.Len()
	out := reflect.MakeSlice(v.Type(), n, n)
	if n == 0 || !holdsContainer(v.Type().Elem()) {
		reflect.Copy(out, v)
		return out, c.count(n)
	}
	id := containerID{p: v.Pointer(), n: n, t: v.Type()}
	if cp, done, err := c.enter(id, n, depth); done || err != nil {
		return reflect.ValueOf(cp), err
	}
	for i := range n {
		e, err := c.copyOf(v.Index(i), depth+1)
		if err != nil {
			return v, err
		}
		out.Index(i).Set(e)
	}
	c.leave(id, depth, out.Interface())
	return out, nil
}

// copyArrayOf copies an array that holds containers. An array is a value,
// not shared, so it needs no cycle check; its elements count towards the
// depth and size limits all the same.
func (c *valueCopier) copyArrayOf(v reflect.Value, depth int) (reflect.Value, error) {
	if depth >= maxValueDepth {
		return v, errValueTooDeep
	}
	if err := c.count(v.Len()); err != nil {
		return v, err
	}
	out := reflect.New(v.Type()).Elem()
	for i := range v.Len() {
		e, err := c.copyOf(v.Index(i), depth+1)
		if err != nil {
			return v, err
		}
		out.Index(i).Set(e)
	}
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
