package store

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds how deeply a codec value may nest, for both codecs: Set
// refuses a deeper value and Load refuses a deeper stored one, so that what
// one accepts the other does too. For JSON a level is an array or object,
// empty or not; for gob it is a struct, or a map, slice or array that holds
// something (gob sends no empty ones). Session values are shallow; the bound
// keeps a hostile or runaway value from costing deep recursion.
const maxDepth = 32

var (
	errCycle      = errors.New("the value contains itself, so it has no finite encoding")
	errTooDeep    = fmt.Errorf("the value nests deeper than %d levels", maxDepth)
	errJSONNil    = errors.New("json gives a nil []any or map[string]any back as nil; store an empty one")
	errJSONUTF8   = errors.New("json keeps only valid UTF-8 strings and keys; invalid bytes would come back changed")
	errJSONNumber = errors.New("json cannot hold NaN or an infinity")

	// errValueTooLarge is what a walk without a store's own error wraps;
	// Encode has no limit, so only a caller of EncodeWithin sees it.
	errValueTooLarge = errors.New("store: value too large")
)

// shape walks a value before it is encoded, and a gob value after it is
// decoded. It finds what the encoders would recurse on forever (a value that
// contains itself, which overflows the stack: a fatal error no recover
// catches) and what decoding would refuse (nesting past maxDepth), and it
// stops a value whose shared parts would encode to more than the size limit
// before the encoder spends the memory: every element the walk counts costs
// at least one encoded byte in either codec.
//
// The walk allocates nothing for the common values (scalars, []any and
// map[string]any): the path of the references being walked, which finds
// cycles, is an array inside shape.
type shape struct {
	budget   int // elements left before the value surely exceeds limit
	limit    int
	tooLarge error // wrapped by the error of a value over limit; nil: errValueTooLarge
	decoded  bool  // walking gob's output: its types are the registered ones
	path     [2 * maxDepth]ref
	n        int
}

// ref is a map, slice or pointer on the walk's current path. Two refs are
// equal only for the same value: same address, length and type.
type ref struct {
	p unsafe.Pointer
	n int
	t reflect.Type
}

var (
	anySliceType = reflect.TypeFor[[]any]()
	anyMapType   = reflect.TypeFor[map[string]any]()
)

// enter pushes r on the path, or fails when r is already on it: the value
// contains itself.
func (w *shape) enter(r ref) error {
	for _, q := range w.path[:w.n] {
		if q == r {
			return errCycle
		}
	}
	if w.n == len(w.path) {
		return errTooDeep
	}
	w.path[w.n] = r
	w.n++
	return nil
}

func (w *shape) leave() { w.n-- }

// spend counts n elements against the size limit.
func (w *shape) spend(n int) error {
	w.budget -= n
	if w.budget < 0 {
		tooLarge := w.tooLarge
		if tooLarge == nil {
			tooLarge = errValueTooLarge
		}
		return fmt.Errorf("%w: more than %d elements, each at least one encoded byte, limit %d", tooLarge, w.limit, w.limit)
	}
	return nil
}

// level counts a container of n elements one level below depth: the level
// against maxDepth, the elements against the size limit. It returns the
// depth of the elements.
func (w *shape) level(depth, n int) (int, error) {
	if depth++; depth > maxDepth {
		return depth, errTooDeep
	}
	return depth, w.spend(n)
}

// json checks a value for the JSON codec: only JSON's own types, each of
// which comes back with the same type and value. An empty array or object
// is a level of its own.
func (w *shape) json(v any, depth int) error {
	switch v := v.(type) {
	case nil, bool:
		return nil
	case string:
		if !utf8.ValidString(v) {
			return errJSONUTF8
		}
		return nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errJSONNumber
		}
		return nil
	case []any:
		if v == nil {
			return errJSONNil
		}
		return w.anySlice(v, depth, true)
	case map[string]any:
		if v == nil {
			return errJSONNil
		}
		return w.anyMap(v, depth, true)
	default:
		return fmt.Errorf("%w, not %T", errNotJSONType, v)
	}
}

// gobAny checks a value that gob sends behind an interface: with its type's
// name, which it decodes as the type registered under that name.
func (w *shape) gobAny(v any, depth int) error {
	switch v := v.(type) {
	case nil, string, bool, int, int64, float64, []byte, []string:
		return nil
	case []any:
		if len(v) == 0 {
			return nil // gob sends no empty ones: not a level
		}
		return w.anySlice(v, depth, false)
	case map[string]any:
		if len(v) == 0 {
			return nil
		}
		return w.anyMap(v, depth, false)
	}
	rv := reflect.ValueOf(v)
	if !w.decoded {
		if err := gobKeepsType(rv.Type()); err != nil {
			return err
		}
	}
	return w.gob(rv, depth)
}

// anySlice checks a []any at depth and its elements, by the JSON codec's
// rules or by gob's. Both codecs hold it, and its twin anyMap, without
// reflection: the values sessions hold most.
func (w *shape) anySlice(v []any, depth int, json bool) error {
	depth, err := w.level(depth, len(v))
	if err != nil || len(v) == 0 {
		return err
	}
	if err := w.enter(ref{unsafe.Pointer(unsafe.SliceData(v)), len(v), anySliceType}); err != nil {
		return err
	}
	for _, e := range v {
		if err := w.element(e, depth, json); err != nil {
			return err
		}
	}
	w.leave()
	return nil
}

// anyMap checks a map[string]any as anySlice checks a []any; JSON also
// needs its keys to be valid UTF-8.
func (w *shape) anyMap(v map[string]any, depth int, json bool) error {
	depth, err := w.level(depth, len(v))
	if err != nil || len(v) == 0 {
		return err
	}
	if err := w.enter(ref{reflect.ValueOf(v).UnsafePointer(), -1, anyMapType}); err != nil {
		return err
	}
	for k, e := range v {
		if json && !utf8.ValidString(k) {
			return errJSONUTF8
		}
		if err := w.element(e, depth, json); err != nil {
			return err
		}
	}
	w.leave()
	return nil
}

// element checks an element of a []any or map[string]any by the rules of
// the codec the walk checks for.
func (w *shape) element(v any, depth int, json bool) error {
	if json {
		return w.json(v, depth)
	}
	return w.gobAny(v, depth)
}

// gob checks a value the way encoding/gob sends it: through pointers,
// interfaces, maps, slices, arrays and structs' exported fields, but not
// into a type that encodes itself (GobEncoder, BinaryMarshaler,
// TextMarshaler). An empty map, slice or array is not a level: gob sends
// none.
func (w *shape) gob(v reflect.Value, depth int) error {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.gobAny(v.Interface(), depth)
	case reflect.Pointer:
		if v.IsNil() || infoOf(v.Type().Elem()).leaf {
			return nil
		}
		if err := w.enter(ref{v.UnsafePointer(), 0, v.Type()}); err != nil {
			return err
		}
		if err := w.gob(v.Elem(), depth); err != nil {
			return err
		}
		w.leave()
		return nil
	case reflect.Map:
		return w.gobMap(v, depth)
	case reflect.Slice, reflect.Array:
		return w.gobList(v, depth)
	case reflect.Struct:
		info := infoOf(v.Type())
		if info.leaf {
			return nil
		}
		depth, err := w.level(depth, 1)
		if err != nil {
			return err
		}
		for _, i := range info.fields {
			if err := w.gob(v.Field(i), depth); err != nil {
				return err
			}
		}
		return nil
	default:
		return nil
	}
}

// gobMap checks a map of any type but map[string]any. Its keys and elements
// are walked unless their types hold nothing to walk.
func (w *shape) gobMap(v reflect.Value, depth int) error {
	n := v.Len()
	if n == 0 {
		return nil
	}
	t := v.Type()
	keyLeaf, elemLeaf := infoOf(t.Key()).leaf, infoOf(t.Elem()).leaf
	depth, err := w.level(depth, n)
	if err != nil || keyLeaf && elemLeaf {
		return err
	}
	if err := w.enter(ref{v.UnsafePointer(), -1, t}); err != nil {
		return err
	}
	for it := v.MapRange(); it.Next(); {
		if !keyLeaf {
			if err := w.gob(it.Key(), depth); err != nil {
				return err
			}
		}
		if !elemLeaf {
			if err := w.gob(it.Value(), depth); err != nil {
				return err
			}
		}
	}
	w.leave()
	return nil
}

// gobList checks a slice or an array of any type but []any. Only a slice is
// a reference that can lead back to itself: an array is held by value.
func (w *shape) gobList(v reflect.Value, depth int) error {
	n := v.Len()
	if n == 0 {
		return nil
	}
	depth, err := w.level(depth, n)
	if err != nil || infoOf(v.Type().Elem()).leaf {
		return err
	}
	slice := v.Kind() == reflect.Slice
	if slice {
		if err := w.enter(ref{v.UnsafePointer(), n, v.Type()}); err != nil {
			return err
		}
	}
	for i := range n {
		if err := w.gob(v.Index(i), depth); err != nil {
			return err
		}
	}
	if slice {
		w.leave()
	}
	return nil
}

// typeInfo is what the gob walk needs to know of a type, worked out once.
type typeInfo struct {
	leaf   bool  // nothing inside to walk: a scalar, or a type that encodes itself
	fields []int // a struct's exported fields
}

var typeInfos sync.Map // reflect.Type -> *typeInfo

var (
	gobEncoderType    = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshalType = reflect.TypeFor[encoding.BinaryMarshaler]()
	textMarshalType   = reflect.TypeFor[encoding.TextMarshaler]()
)

func infoOf(t reflect.Type) *typeInfo {
	if i, ok := typeInfos.Load(t); ok {
		return i.(*typeInfo)
	}
	info := &typeInfo{}
	switch t.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		info.leaf = encodesItself(t)
	default:
		info.leaf = true
	}
	if t.Kind() == reflect.Struct && !info.leaf {
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				info.fields = append(info.fields, i)
			}
		}
	}
	i, _ := typeInfos.LoadOrStore(t, info)
	return i.(*typeInfo)
}

// encodesItself reports whether gob encodes t with its own method, as gob
// does when t or *t has one.
func encodesItself(t reflect.Type) bool {
	if t.Kind() == reflect.Interface {
		return false
	}
	for _, m := range []reflect.Type{gobEncoderType, binaryMarshalType, textMarshalType} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

var gobTypes sync.Map // base type -> the type gob decodes it as

// gobKeepsType reports an error when gob would give a value of type t,
// sent behind an interface, back with another type. gob names a value by
// its type without pointers and decodes the name as whichever of T, *T, ...
// was registered: with gob.Register(T{}), a stored &T{} comes back as T.
// The answer is found once per type, by sending a zero value through gob.
func gobKeepsType(t reflect.Type) error {
	if t.Kind() != reflect.Pointer && t.PkgPath() == "" {
		return nil // built-in types and unnamed composites: registered as themselves
	}
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	got, ok := gobTypes.Load(base)
	if !ok {
		var buf bytes.Buffer
		zero := reflect.Zero(base).Interface()
		if err := gob.NewEncoder(&buf).Encode(&zero); err != nil {
			return nil // not registered, or not encodable: the encoder says why
		}
		var back any
		if err := gob.NewDecoder(&buf).Decode(&back); err != nil || back == nil {
			return nil
		}
		got, _ = gobTypes.LoadOrStore(base, reflect.TypeOf(back))
	}
	if got := got.(reflect.Type); got != t {
		return fmt.Errorf("gob would give a %s back as a %s, the type registered with gob.Register", t, got)
	}
	return nil
}
