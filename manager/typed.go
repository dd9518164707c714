package manager

import (
	"math"
	"reflect"
)

// Value returns the value of key in s as a T, and whether s holds one: the
// zero T and false when s is nil, the key is not set, or its value is not a
// T and cannot become one exactly. It never panics.
//
// Numbers convert between Go's integer and floating-point types when the
// value fits the target exactly, because a store may hand a number back in
// another type than it was set with: the Redis store's JSON codec gives
// every number nested in a map or slice back as a float64, so
// Value[int](s, "n") reads 3.0 as 3, and refuses 3.5, NaN, or a number out
// of int's range. Named numeric types (type Role int) convert alike. No
// other conversion is made: a string "3" is not an int.
func Value[T any](s Session, key string) (T, bool) {
	var zero T
	if s == nil {
		return zero, false
	}
	v, ok := s.Get(key)
	if !ok {
		return zero, false
	}
	if t, ok := v.(T); ok {
		return t, true
	}
	if n, ok := convertNumber(reflect.ValueOf(v), reflect.TypeFor[T]()); ok {
		return n.Interface().(T), true
	}
	return zero, false
}

// convertNumber converts v to the numeric type to when it fits exactly.
func convertNumber(v reflect.Value, to reflect.Type) (reflect.Value, bool) {
	if !v.IsValid() || !isNumber(v.Kind()) || !isNumber(to.Kind()) {
		return reflect.Value{}, false
	}
	out := reflect.New(to).Elem()
	switch {
	case isFloat(v.Kind()):
		f := v.Float()
		switch {
		case isFloat(to.Kind()):
			if !math.IsNaN(f) && !exactFloat(f, to) {
				return reflect.Value{}, false
			}
			out.SetFloat(f)
		case isSigned(to.Kind()):
			bits := to.Bits()
			// -2^(bits-1) <= f < 2^(bits-1), both bounds exact in a float64.
			if f != math.Trunc(f) || f < -math.Ldexp(1, bits-1) || f >= math.Ldexp(1, bits-1) {
				return reflect.Value{}, false
			}
			out.SetInt(int64(f))
		default:
			if f != math.Trunc(f) || f < 0 || f >= math.Ldexp(1, to.Bits()) {
				return reflect.Value{}, false
			}
			out.SetUint(uint64(f))
		}
	case isSigned(v.Kind()):
		i := v.Int()
		switch {
		case isFloat(to.Kind()):
			f := float64(i)
			if f == math.Ldexp(1, 63) || int64(f) != i || !exactFloat(f, to) {
				return reflect.Value{}, false
			}
			out.SetFloat(f)
		case isSigned(to.Kind()):
			if out.OverflowInt(i) {
				return reflect.Value{}, false
			}
			out.SetInt(i)
		default:
			if i < 0 || out.OverflowUint(uint64(i)) {
				return reflect.Value{}, false
			}
			out.SetUint(uint64(i))
		}
	default:
		u := v.Uint()
		switch {
		case isFloat(to.Kind()):
			f := float64(u)
			if f == math.Ldexp(1, 64) || uint64(f) != u || !exactFloat(f, to) {
				return reflect.Value{}, false
			}
			out.SetFloat(f)
		case isSigned(to.Kind()):
			if u > math.MaxInt64 || out.OverflowInt(int64(u)) {
				return reflect.Value{}, false
			}
			out.SetInt(int64(u))
		default:
			if out.OverflowUint(u) {
				return reflect.Value{}, false
			}
			out.SetUint(u)
		}
	}
	return out, true
}

// exactFloat reports whether f keeps its value in the float type to (a
// float32 holds fewer values than a float64).
func exactFloat(f float64, to reflect.Type) bool {
	return to.Kind() == reflect.Float64 || float64(float32(f)) == f
}

func isNumber(k reflect.Kind) bool { return isSigned(k) || isUnsigned(k) || isFloat(k) }

func isSigned(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Int64 }

func isUnsigned(k reflect.Kind) bool { return k >= reflect.Uint && k <= reflect.Uintptr }

func isFloat(k reflect.Kind) bool { return k == reflect.Float32 || k == reflect.Float64 }
