package valueform

import (
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// codecDepth is how deeply the codecs of package store let a value nest.
const codecDepth = 32

// errTooLarge stands for a store's own error for a value over the limit.
var errTooLarge = errors.New("test store: value too large")

// Types the round-trip property stores through gob. propProfile is
// registered as a value, propNode as a pointer: gob gives a value stored
// behind an interface back as whichever of T or *T was registered, so the
// other one must be refused at Set time.
type (
	propProfile struct {
		Name   string
		Tags   []string
		Scores map[string]int
		Extra  any
		When   time.Time
		Count  *int
		Next   *propProfile
	}
	propNode struct {
		Label    string
		Children []*propNode
	}
	propUnregistered struct{ A int }
)

func init() {
	gob.RegisterName("sessionkit.test.propProfile", propProfile{})
	gob.RegisterName("sessionkit.test.propNode", &propNode{})
	gob.Register([]propProfile{})
	gob.Register([][]string{})
}

// roundTripConfigs are the four codec configurations, each with a small
// value limit so that generated values fall on both sides of it.
func roundTripConfigs() map[string]*Form {
	keys := [][]byte{[]byte("roundtrip-key-roundtrip-key-rtk!")}
	const limit = 4 << 10
	return map[string]*Form{
		"gob":         {Codec: store.Gob(), MaxSize: limit, TooLarge: errTooLarge},
		"json":        {Codec: store.JSON(), MaxSize: limit, TooLarge: errTooLarge},
		"signed gob":  {Codec: store.Gob(), MaxSize: limit, Keys: keys, TooLarge: errTooLarge},
		"signed json": {Codec: store.JSON(), MaxSize: limit, Keys: keys, TooLarge: errTooLarge},
	}
}

// TestEncodeAcceptsExactlyWhatRoundTrips is the Set/Load contract, as a
// property over many generated values and every codec configuration:
// Encode (which the stores' CheckValue calls) accepts a value if and only if
// decoding the result gives back an equal value of the same type. A value that Set
// accepts but Load refuses (or changes) would break its session on the next
// request; a value that Set refuses but the store could keep is refused for
// nothing.
//
// "Equal" is sameValue: what a copy through the store can keep, no more.
//   - The dynamic type is the same, at the top and at every interface.
//   - float64 and float32 compare by their bits: NaN equals the same NaN,
//     -0 is not 0.
//   - time.Time compares with Equal and the same UTC offset: the monotonic
//     reading and the zone's name are not stored (time's MarshalBinary).
//   - A nil and an empty slice or map are equal: both have no elements, and
//     gob sends neither.
//   - A nil pointer equals a pointer to a zero value, and struct fields
//     compare exported ones only: gob sends no zero values and no
//     unexported fields (the encoding/gob documentation); the generated
//     structs have no unexported fields.
func TestEncodeAcceptsExactlyWhatRoundTrips(t *testing.T) {
	values := roundTripValues()
	for name, s := range roundTripConfigs() {
		t.Run(name, func(t *testing.T) {
			var accepted, refused int
			for i, v := range values {
				key := fmt.Sprintf("k%d", i)
				_, checkErr := s.Encode(key, v.value)
				back, why := roundTrip(s, key, v.value)
				if (checkErr == nil) != (why == "") {
					t.Errorf("%s: Encode says %v, but the round trip %s", v.name, errOrOK(checkErr), orOK(why))
				}
				if checkErr == nil {
					accepted++
				} else {
					refused++
				}
				_ = back
			}
			t.Logf("%d values: %d accepted, %d refused", len(values), accepted, refused)
			if accepted == 0 || refused == 0 {
				t.Errorf("the generated values should fall on both sides: %d accepted, %d refused", accepted, refused)
			}
		})
	}
}

func errOrOK(err error) string {
	if err == nil {
		return "ok"
	}
	return "no (" + err.Error() + ")"
}

func orOK(why string) string {
	if why == "" {
		return "gives it back equal"
	}
	return why
}

// roundTrip encodes v and decodes it, returning what came back and, when it
// is not an equal value of the same type, why.
func roundTrip(s *Form, key string, v any) (any, string) {
	b, err := s.Encode(key, v)
	if err != nil {
		return nil, "fails to encode: " + err.Error()
	}
	back, err := s.Decode(key, b)
	if err != nil {
		return nil, "fails to decode: " + err.Error()
	}
	if !sameValue(reflect.ValueOf(v), reflect.ValueOf(back)) {
		return back, fmt.Sprintf("gives back %#v", back)
	}
	return back, ""
}

// sameValue reports whether got is what a copy of want through the store
// should be; see TestEncodeAcceptsExactlyWhatRoundTrips.
func sameValue(want, got reflect.Value) bool {
	if !want.IsValid() || !got.IsValid() {
		return want.IsValid() == got.IsValid()
	}
	if want.Type() != got.Type() {
		return false
	}
	if want.Type() == reflect.TypeFor[time.Time]() {
		w, g := want.Interface().(time.Time), got.Interface().(time.Time)
		_, wo := w.Zone()
		_, gotOff := g.Zone()
		return w.Equal(g) && wo == gotOff
	}
	switch want.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(want.Float()) == math.Float64bits(got.Float())
	case reflect.Interface:
		if want.IsNil() || got.IsNil() {
			return want.IsNil() == got.IsNil()
		}
		return sameValue(want.Elem(), got.Elem())
	case reflect.Pointer:
		if want.IsNil() || got.IsNil() {
			return (want.IsNil() || want.Elem().IsZero()) && (got.IsNil() || got.Elem().IsZero())
		}
		return sameValue(want.Elem(), got.Elem())
	case reflect.Slice, reflect.Array:
		if want.Len() != got.Len() {
			return false
		}
		for i := range want.Len() {
			if !sameValue(want.Index(i), got.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if want.Len() != got.Len() {
			return false
		}
		it := want.MapRange()
		for it.Next() {
			g := got.MapIndex(it.Key())
			if !g.IsValid() || !sameValue(it.Value(), g) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range want.NumField() {
			if want.Type().Field(i).IsExported() && !sameValue(want.Field(i), got.Field(i)) {
				return false
			}
		}
		return true
	default:
		return want.Equal(got)
	}
}

// namedValue is one value of the property, with a name for its failure.
type namedValue struct {
	name  string
	value any
}

// roundTripValues returns the edges by name, then values generated from a
// fixed seed, so that a failure repeats.
func roundTripValues() []namedValue {
	zero, one := 0, 1
	nested := func(depth int, leaf any, wrap func(any) any) any {
		v := leaf
		for range depth {
			v = wrap(v)
		}
		return v
	}
	inSlice := func(v any) any { return []any{v} }
	inMap := func(v any) any { return map[string]any{"k": v} }
	inStruct := func(v any) any { return propProfile{Extra: v} }
	nearLimit := func(n int) string { return strings.Repeat("x", n) }
	vs := []namedValue{
		{"string", "ada"},
		{"invalid UTF-8 string", "\xff\xfe"},
		{"string at the limit", nearLimit(4 << 10)},
		{"string over the limit", nearLimit(4<<10 + 1)},
		{"NaN", math.NaN()},
		{"+Inf", math.Inf(1)},
		{"-0", math.Copysign(0, -1)},
		{"nil []byte", []byte(nil)},
		{"nil []string", []string(nil)},
		{"empty []string", []string{}},
		{"time with monotonic reading", time.Now()},
		{"time in a named zone", time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))},
		{"time with a seconds offset", time.Date(1900, 1, 2, 3, 4, 5, 6, time.FixedZone("LMT", 1172))},
		{"time with an offset out of range", time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("far", 1<<26))},
		{"zero time", time.Time{}},
		{"int8", int8(-3)},
		{"uint", uint(7)},
		{"float32 NaN", float32(math.NaN())},
		{"complex128", complex(1, -1)},
		{"empty []any", []any{}},
		{"nil []any", []any(nil)},
		{"empty map", map[string]any{}},
		{"nil map", map[string]any(nil)},
		{"nil in a slice", []any{nil, "a"}},
		{"nil in a map", map[string]any{"a": nil}},
		{"nil []any in a map", map[string]any{"a": []any(nil)}},
		{"nil map in a slice", []any{map[string]any(nil)}},
		{"int in a map", map[string]any{"n": 1}},
		{"float64 in a map", map[string]any{"n": 1.5}},
		{"NaN in a slice", []any{math.NaN()}},
		{"Inf in a map", map[string]any{"x": math.Inf(-1)}},
		{"invalid UTF-8 in a slice", []any{"ok", "\xc3\x28"}},
		{"invalid UTF-8 map key", map[string]any{"\xff": true}},
		{"time in a slice", []any{time.Unix(1, 0)}},
		{"typed slice", []int{1, 2, 3}},
		{"empty typed slice", []int{}},
		{"slice of string slices", [][]string{{"a"}, {}, nil}},
		{"array", [2]int{1, 2}},
		{"unregistered struct", propUnregistered{A: 1}},
		{"registered struct", propProfile{Name: "ada", Tags: []string{"x"}, Scores: map[string]int{"a": 1}}},
		{"registered struct, pointer to zero", propProfile{Count: &zero}},
		{"registered struct, pointer to one", propProfile{Count: &one}},
		{"registered struct, time field", propProfile{When: time.Now()}},
		{"registered struct, nested", propProfile{Next: &propProfile{Next: &propProfile{Name: "c"}}}},
		{"pointer to a struct registered as a value", &propProfile{Name: "ada"}},
		{"struct registered as a pointer", &propNode{Label: "root", Children: []*propNode{{Label: "a"}}}},
		{"value of a struct registered as a pointer", propNode{Label: "root"}},
		{"nil pointer", (*propNode)(nil)},
		{"slice of registered structs", []propProfile{{Name: "a"}, {}}},
		{"channel", make(chan int)},
		{"func", func() {}},
		{"many elements", make([]any, 5000)},
	}
	for _, depth := range []int{codecDepth - 1, codecDepth, codecDepth + 1} {
		for wrapName, wrap := range map[string]func(any) any{"slices": inSlice, "maps": inMap, "structs": inStruct} {
			vs = append(vs,
				namedValue{fmt.Sprintf("%d nested %s around a string", depth, wrapName), nested(depth, "leaf", wrap)},
				namedValue{fmt.Sprintf("%d nested %s around an empty slice", depth, wrapName), nested(depth, []any{}, wrap)},
				namedValue{fmt.Sprintf("%d nested %s around an empty map", depth, wrapName), nested(depth, map[string]any{}, wrap)},
			)
		}
	}
	g := generator{rand.New(rand.NewPCG(8, 14))}
	for i := range 3000 {
		v := g.value(g.r.IntN(codecDepth + 4))
		vs = append(vs, namedValue{fmt.Sprintf("generated #%d (%T)", i, v), v})
	}
	// Big values, near the limit of 4 KiB on either side: long strings in
	// containers, and many small elements.
	for i := range 200 {
		long := strings.Repeat("y", 3900+g.r.IntN(300))
		many := make([]any, 300+g.r.IntN(900))
		for j := range many {
			many[j] = g.scalar()
		}
		vs = append(vs,
			namedValue{fmt.Sprintf("big string in a map #%d", i), map[string]any{"s": long}},
			namedValue{fmt.Sprintf("many elements #%d", i), many},
		)
	}
	return vs
}

// generator makes random values of the shapes sessions hold.
type generator struct{ r *rand.Rand }

// value returns a value nested about depth levels deep.
func (g generator) value(depth int) any {
	if depth <= 0 || g.r.IntN(8) == 0 {
		return g.scalar()
	}
	switch g.r.IntN(6) {
	case 0, 1:
		n := g.r.IntN(4)
		s := make([]any, n)
		for i := range s {
			s[i] = g.value(depth - 1 - g.r.IntN(2)*g.r.IntN(depth))
		}
		if n == 0 && g.r.IntN(2) == 0 {
			s = nil
		}
		return s
	case 2, 3:
		n := g.r.IntN(4)
		m := make(map[string]any, n)
		for range n {
			m[g.str()] = g.value(depth - 1)
		}
		if n == 0 && g.r.IntN(2) == 0 {
			m = nil
		}
		return m
	case 4:
		return propProfile{Name: g.str(), Extra: g.value(depth - 1), Tags: []string{g.str()}}
	default:
		var next *propProfile
		if g.r.IntN(2) == 0 {
			p := propProfile{Extra: g.value(depth - 2)}
			next = &p
		}
		return propProfile{Next: next}
	}
}

func (g generator) scalar() any {
	switch g.r.IntN(12) {
	case 0:
		return nil
	case 1:
		return g.str()
	case 2:
		return g.r.IntN(2) == 0
	case 3:
		return g.r.Int()
	case 4:
		return g.r.NormFloat64()
	case 5:
		return []any{math.NaN(), math.Inf(1), math.Copysign(0, -1)}[g.r.IntN(3)]
	case 6:
		return []string{g.str(), g.str()}
	case 7:
		return time.Unix(g.r.Int64N(1<<40), g.r.Int64N(1e9)).In(time.FixedZone("z", 60*g.r.IntN(1000)))
	case 8:
		return []int{g.r.Int()}
	case 9, 10:
		return int64(g.r.Int())
	default:
		return []byte(g.str())
	}
}

// str returns a short string, now and then not valid UTF-8.
func (g generator) str() string {
	b := make([]byte, g.r.IntN(6))
	for i := range b {
		b[i] = "ab\x00é\xff"[g.r.IntN(6)]
	}
	return string(b)
}

// TestSharedPartsCountAgainstTheLimit checks that a value whose shared
// parts would encode to more than the size limit is refused by the walk,
// with the store's error, before the encoder spends the memory (here 2^30
// leaves).
func TestSharedPartsCountAgainstTheLimit(t *testing.T) {
	blowup := []any{"leaf"}
	for range 30 {
		blowup = []any{blowup, blowup}
	}
	for name, s := range roundTripConfigs() {
		t.Run(name, func(t *testing.T) {
			_, err := s.Encode("cart", blowup)
			require.ErrorIs(t, err, errTooLarge)
			assert.ErrorContains(t, err, "limit 4096")
		})
	}
}
