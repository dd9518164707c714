package store

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Codec encodes the session values that a store keeps outside the memory
// store: those that have no compact form of their own in the Redis and
// PostgreSQL stores (see their package documentation), for example structs,
// slices and maps.
type Codec interface {
	// Encode returns the bytes of v, or an error when v cannot be encoded.
	Encode(v any) ([]byte, error)
	// Decode returns the value whose bytes are data. It must return an error,
	// never panic, for bytes it did not produce.
	Decode(data []byte) (any, error)
}

func init() {
	// Sessions often hold generic maps and slices; gob refuses an
	// unregistered type behind an interface, so register the common ones.
	gob.Register(map[string]any{})
	gob.Register([]any{})
}

// Gob returns the default codec: encoding/gob, which gives values back with
// their Go type. A type stored behind an interface must be registered with
// gob.Register, in every instance, before it is set; an unregistered type is
// refused at Set time.
func Gob() Codec { return gobCodec{} }

type gobCodec struct{}

// Encode refuses a value that contains itself or nests deeper than gob
// values may (32 levels), then encodes it.
func (c gobCodec) Encode(v any) ([]byte, error) { return c.EncodeWithin(v, math.MaxInt, nil) }

// EncodeWithin is Encode for a store with a size limit: a value whose shared
// parts would encode to more than limit bytes is refused, with an error
// wrapping tooLarge, before the encoder spends the memory. The stores find
// it through an interface, so it is no name of this package's API.
func (gobCodec) EncodeWithin(v any, limit int, tooLarge error) ([]byte, error) {
	w := shape{budget: limit, limit: limit, tooLarge: tooLarge}
	if err := w.gobAny(v, 0); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	// A pointer to the interface makes gob send the concrete type's name.
	if err := gob.NewEncoder(&buf).Encode(&v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (gobCodec) Decode(data []byte) (v any, err error) {
	if err := checkGobFraming(data); err != nil {
		return nil, err
	}
	defer func() {
		// gob has returned errors for hostile input for years, but a
		// session store must never take the process down for a bad record.
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("gob: %v", r)
		}
	}()
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&v); err != nil {
		return nil, err
	}
	// What Set refuses, Load refuses too: a value nested deeper than the
	// bound was not written by this store.
	w := shape{budget: math.MaxInt, limit: math.MaxInt, decoded: true}
	if err := w.gobAny(v, 0); err != nil {
		return nil, fmt.Errorf("gob: %w", err)
	}
	return v, nil
}

// JSON returns a codec that stores values as JSON, readable by other
// programs. It keeps only values that come back equal and with the same
// type: map[string]any, []any, string, float64, bool and nil, nested up to
// 32 arrays and objects deep. So it refuses at Set time, rather than hand
// back something else, structs and typed slices, a nil []any or
// map[string]any (JSON null comes back as nil), strings or keys that are
// not valid UTF-8, NaN and the infinities, and a value that contains
// itself. Top-level strings, ints, int64s, float64s, booleans, byte slices,
// string slices and times keep their type through the compact form.
func JSON() Codec { return jsonCodec{} }

type jsonCodec struct{}

var errNotJSONType = errors.New("json codec keeps only map[string]any, []any, string, float64, bool and nil")

// Encode refuses a value that would not come back equal (see [JSON]), then
// encodes it.
func (c jsonCodec) Encode(v any) ([]byte, error) { return c.EncodeWithin(v, math.MaxInt, nil) }

// EncodeWithin is Encode within a size limit, as gob's.
func (jsonCodec) EncodeWithin(v any, limit int, tooLarge error) ([]byte, error) {
	w := shape{budget: limit, limit: limit, tooLarge: tooLarge}
	if err := w.json(v, 0); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func (jsonCodec) Decode(data []byte) (any, error) {
	if err := checkJSONDepth(data, maxDepth); err != nil {
		return nil, err
	}
	var v any
	err := json.Unmarshal(data, &v)
	return v, err
}

// checkGobFraming checks that data is a sequence of whole gob messages, each
// no longer than what follows its length. gob allocates a message's claimed
// length before reading it (up to 10 MiB at a time), so a short hostile value
// could otherwise make it allocate far more than its own size.
func checkGobFraming(data []byte) error {
	for len(data) > 0 {
		n, read := gobUint(data)
		if read == 0 || n > uint64(len(data)-read) || n == 0 {
			return errors.New("gob: message length does not match the stored bytes")
		}
		data = data[read+int(n):]
	}
	return nil
}

// gobUint decodes one unsigned integer in gob's format: a byte below 0x80 is
// the value; otherwise it is the negated count of big-endian bytes that
// follow. It returns read == 0 when data is too short or the count invalid.
func gobUint(data []byte) (v uint64, read int) {
	if len(data) == 0 {
		return 0, 0
	}
	if data[0] < 0x80 {
		return uint64(data[0]), 1
	}
	n := -int(int8(data[0]))
	if n > 8 || len(data) < 1+n {
		return 0, 0
	}
	for _, b := range data[1 : 1+n] {
		v = v<<8 | uint64(b)
	}
	return v, 1 + n
}

// checkJSONDepth reports an error when arrays and objects in data nest deeper
// than limit. It scans the bytes once, before any decoding, skipping strings.
func checkJSONDepth(data []byte, limit int) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > limit {
				return fmt.Errorf("json: nesting deeper than %d", limit)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}
