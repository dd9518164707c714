package valueform

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompactValuesRoundTrip checks that each compact form gives its value
// back equal and of the same type, at the edges of its range, without the
// codec.
func TestCompactValuesRoundTrip(t *testing.T) {
	s := &Form{Codec: refusingCodec{}, MaxSize: 64 << 10, TooLarge: errTooLarge}
	values := map[string]any{
		"empty string":  "",
		"string":        "ünïcode \x00 ✓",
		"true":          true,
		"false":         false,
		"int":           42,
		"min int":       math.MinInt,
		"max int":       math.MaxInt,
		"int64":         int64(math.MinInt64),
		"float64":       -0.5,
		"inf":           math.Inf(1),
		"bytes":         []byte{0, 1, 0xff},
		"empty bytes":   []byte{},
		"strings":       []string{"reader", "", "editor \x00", strings.Repeat("x", 300)},
		"empty strings": []string{},
		"time":          time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)),
	}
	for k, v := range values {
		t.Run(k, func(t *testing.T) {
			b, err := s.Encode(k, v)
			require.NoError(t, err)
			got, err := s.Decode(k, b)
			require.NoError(t, err)
			if tm, ok := v.(time.Time); ok {
				assert.True(t, tm.Equal(got.(time.Time)))
				return
			}
			assert.Equal(t, v, got)
		})
	}
}

// refusingCodec fails every call, so a test can tell that a value never
// went through the codec.
type refusingCodec struct{}

func (refusingCodec) Encode(any) ([]byte, error) { return nil, errUnknownTag }
func (refusingCodec) Decode([]byte) (any, error) { return nil, errUnknownTag }

// TestStringListsRefuseLies checks that a string list whose counts or
// lengths claim more than its bytes hold is refused before allocating.
func TestStringListsRefuseLies(t *testing.T) {
	for name, data := range map[string]string{
		"count past the end":  "\xff\xff\xff\xff\x0f",
		"length past the end": "\x01\x05ab",
		"trailing bytes":      "\x01\x01ab",
		"overlong varint":     "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
		"empty":               "",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeStrings(data)
			assert.Error(t, err)
		})
	}
}
