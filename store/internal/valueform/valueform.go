// Package valueform is the stored form of one session value, shared by the
// stores that keep values outside the process (Redis and PostgreSQL), so that
// both write the same bytes and refuse the same values.
//
// A stored value is one tag byte followed by its data. Common scalar types
// have their own tag and decode without reflection; everything else goes
// through the store's [store.Codec]. With signing keys, a MAC of the value
// follows. The tags are part of what is stored: changing one makes existing
// records unreadable.
package valueform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sessionkit/session/store"
)

const (
	tagString  = 's'
	tagTrue    = 't'
	tagFalse   = 'f'
	tagInt     = 'i'
	tagInt64   = 'I'
	tagFloat64 = 'd'
	tagBytes   = 'b'
	tagTime    = 'T'
	tagStrings = 'S'
	tagCodec   = 'c'
)

// macSize is the length of a value's MAC: 128 bits of HMAC-SHA256.
const macSize = 16

var errUnknownTag = errors.New("unknown value tag")

// Form is how a store encodes its values. Its fields are set once, when the
// store is made, and never changed: a Form is safe for concurrent use.
type Form struct {
	// Codec encodes the values without a compact form of their own.
	Codec store.Codec
	// MaxSize bounds the encoded size of one value in bytes, tag and MAC
	// not counted.
	MaxSize int
	// Keys sign values: the first signs, every one verifies. None: values
	// are not signed.
	Keys [][]byte
	// TooLarge is the store's error for a value over MaxSize; the errors of
	// such values wrap it.
	TooLarge error
}

// boundedCodec is implemented by the codecs of package store, which check a
// value's shape before they encode it. The form passes its size limit, so
// that a value whose shared parts would encode to more than the limit is
// refused before the encoder spends the memory.
type boundedCodec interface {
	EncodeWithin(v any, limit int, tooLarge error) ([]byte, error)
}

// Encode returns the stored form of the value v of key.
func (s *Form) Encode(key string, v any) (string, error) {
	var b []byte
	switch v := v.(type) {
	case string:
		b = append(make([]byte, 0, 1+len(v)+s.macLen()), tagString)
		b = append(b, v...)
	case bool:
		if v {
			b = []byte{tagTrue}
		} else {
			b = []byte{tagFalse}
		}
	case int:
		b = binary.AppendVarint([]byte{tagInt}, int64(v))
	case int64:
		b = binary.AppendVarint([]byte{tagInt64}, v)
	case float64:
		b = binary.BigEndian.AppendUint64([]byte{tagFloat64}, math.Float64bits(v))
	case []byte:
		b = append([]byte{tagBytes}, v...)
	case []string:
		b = binary.AppendUvarint([]byte{tagStrings}, uint64(len(v)))
		for _, e := range v {
			b = binary.AppendUvarint(b, uint64(len(e)))
			b = append(b, e...)
		}
	case time.Time:
		t, err := v.MarshalBinary()
		if err != nil {
			return "", err
		}
		b = append([]byte{tagTime}, t...)
	default:
		var data []byte
		var err error
		if c, ok := s.Codec.(boundedCodec); ok {
			data, err = c.EncodeWithin(v, s.MaxSize, s.TooLarge)
		} else {
			data, err = s.Codec.Encode(v)
		}
		if err != nil {
			return "", err
		}
		b = append([]byte{tagCodec}, data...)
	}
	if len(b)-1 > s.MaxSize {
		return "", fmt.Errorf("%w: %d bytes encoded, limit %d", s.TooLarge, len(b)-1, s.MaxSize)
	}
	if len(s.Keys) > 0 {
		b = append(b, mac(s.Keys[0], key, b)...)
	}
	return string(b), nil
}

// Decode returns the value of key whose stored form is b. It checks the MAC
// and the size before it decodes anything.
func (s *Form) Decode(key, b string) (any, error) {
	if len(s.Keys) > 0 {
		var ok bool
		if b, ok = s.verify(key, b); !ok {
			return nil, errBadMAC
		}
	}
	if len(b) == 0 {
		return nil, errUnknownTag
	}
	tag, data := b[0], b[1:]
	if len(data) > s.MaxSize {
		return nil, fmt.Errorf("%w: %d bytes stored, limit %d", s.TooLarge, len(data), s.MaxSize)
	}
	switch tag {
	case tagString:
		return data, nil
	case tagTrue, tagFalse:
		if data != "" {
			return nil, errTrailing
		}
		return tag == tagTrue, nil
	case tagInt, tagInt64:
		n, read := binary.Varint([]byte(data))
		if read <= 0 || read != len(data) {
			return nil, errors.New("bad integer")
		}
		if tag == tagInt64 {
			return n, nil
		}
		if int64(int(n)) != n {
			return nil, errors.New("integer overflows int")
		}
		return int(n), nil
	case tagFloat64:
		if len(data) != 8 {
			return nil, errors.New("bad float64")
		}
		return math.Float64frombits(binary.BigEndian.Uint64([]byte(data))), nil
	case tagBytes:
		return []byte(data), nil
	case tagTime:
		var t time.Time
		if err := t.UnmarshalBinary([]byte(data)); err != nil {
			return nil, err
		}
		return t, nil
	case tagStrings:
		return decodeStrings(data)
	case tagCodec:
		return s.Codec.Decode([]byte(data))
	default:
		return nil, errUnknownTag
	}
}

var (
	errTrailing = errors.New("trailing bytes")
	errBadMAC   = errors.New("MAC does not match: the value was changed, moved to another key or written without the signing key")
)

func (s *Form) macLen() int {
	if len(s.Keys) == 0 {
		return 0
	}
	return macSize
}

// mac binds a value to its key, so that nobody without the signing key can
// forge a value or move one to another key. It does not bind the value to
// its session: renewal moves a record to a new ID, and whoever can write to
// the database can move a whole record anyway.
func mac(secret []byte, key string, value []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(value)
	return h.Sum(nil)[:macSize]
}

// verify checks the MAC of a stored value against every key, so that keys
// can be rotated: the first signs, all verify.
func (s *Form) verify(key, stored string) (string, bool) {
	if len(stored) < macSize {
		return "", false
	}
	value, sum := stored[:len(stored)-macSize], stored[len(stored)-macSize:]
	for _, secret := range s.Keys {
		if hmac.Equal([]byte(sum), mac(secret, key, []byte(value))) {
			return value, true
		}
	}
	return "", false
}

// decodeStrings decodes a []string: a count, then each string's length and
// bytes. Counts and lengths are checked against the bytes left before
// anything is allocated.
func decodeStrings(data string) ([]string, error) {
	bad := errors.New("bad string list")
	n, read := uvarint(data)
	if read <= 0 || n > uint64(len(data)-read) {
		return nil, bad
	}
	data = data[read:]
	out := make([]string, 0, n)
	for range n {
		l, read := uvarint(data)
		if read <= 0 || l > uint64(len(data)-read) {
			return nil, bad
		}
		out = append(out, data[read:read+int(l)])
		data = data[read+int(l):]
	}
	if data != "" {
		return nil, errTrailing
	}
	return out, nil
}

// uvarint is binary.Uvarint for a string, without copying it.
func uvarint(s string) (uint64, int) {
	var x uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -1
			}
			return x | uint64(c)<<(7*i), i + 1
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	return 0, 0
}
