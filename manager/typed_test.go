package manager_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
)

type role int

// valueOf sets v under "v" in an unbound session and reads it back as a T.
func valueOf[T any](t *testing.T, v any) (T, bool) {
	t.Helper()
	s := manager.NewSession("id", 0)
	require.NoError(t, s.Set("v", v))
	return manager.Value[T](s, "v")
}

// TestValueConvertsNumbersOnlyWhenExact: a number comes back as the type
// asked for when it fits exactly, as the JSON codec's float64s must, and
// never as a rounded or wrapped one.
func TestValueConvertsNumbersOnlyWhenExact(t *testing.T) {
	var fromJSON any
	require.NoError(t, json.Unmarshal([]byte(`{"n": 42}`), &fromJSON))
	jsonNumber := fromJSON.(map[string]any)["n"] // float64(42)

	tests := []struct {
		name string
		read func(*testing.T) (any, bool)
		want any // nil: not ok
	}{
		{"same type", func(t *testing.T) (any, bool) { return valueOf[string](t, "x") }, "x"},
		{"a JSON number as int", func(t *testing.T) (any, bool) { return valueOf[int](t, jsonNumber) }, 42},
		{"a JSON number as int64", func(t *testing.T) (any, bool) { return valueOf[int64](t, jsonNumber) }, int64(42)},
		{"a JSON number as uint8", func(t *testing.T) (any, bool) { return valueOf[uint8](t, jsonNumber) }, uint8(42)},
		{"a JSON number as a named int", func(t *testing.T) (any, bool) { return valueOf[role](t, jsonNumber) }, role(42)},
		{"a fraction is not an int", func(t *testing.T) (any, bool) { return valueOf[int](t, 3.5) }, nil},
		{"NaN is not an int", func(t *testing.T) (any, bool) { return valueOf[int](t, math.NaN()) }, nil},
		{"infinity is not an int", func(t *testing.T) (any, bool) { return valueOf[int64](t, math.Inf(1)) }, nil},
		{"2^63 is past int64", func(t *testing.T) (any, bool) { return valueOf[int64](t, math.Ldexp(1, 63)) }, nil},
		{"-2^63 fits int64", func(t *testing.T) (any, bool) { return valueOf[int64](t, -math.Ldexp(1, 63)) }, int64(math.MinInt64)},
		{"300 is past uint8", func(t *testing.T) (any, bool) { return valueOf[uint8](t, 300.0) }, nil},
		{"-1 is not a uint", func(t *testing.T) (any, bool) { return valueOf[uint](t, -1) }, nil},
		{"an int as float64", func(t *testing.T) (any, bool) { return valueOf[float64](t, 7) }, 7.0},
		{"2^53+1 is not a float64", func(t *testing.T) (any, bool) { return valueOf[float64](t, int64(1)<<53+1) }, nil},
		{"MaxInt64 is not a float64", func(t *testing.T) (any, bool) { return valueOf[float64](t, int64(math.MaxInt64)) }, nil},
		{"MaxUint64 is not a float64", func(t *testing.T) (any, bool) { return valueOf[float64](t, uint64(math.MaxUint64)) }, nil},
		{"0.1 is not a float32", func(t *testing.T) (any, bool) { return valueOf[float32](t, 0.1) }, nil},
		{"0.5 is a float32", func(t *testing.T) (any, bool) { return valueOf[float32](t, 0.5) }, float32(0.5)},
		{"a uint as int8", func(t *testing.T) (any, bool) { return valueOf[int8](t, uint(127)) }, int8(127)},
		{"a large uint is not an int64", func(t *testing.T) (any, bool) { return valueOf[int64](t, uint64(math.MaxUint64)) }, nil},
		{"a string is not an int", func(t *testing.T) (any, bool) { return valueOf[int](t, "3") }, nil},
		{"a number is not a string", func(t *testing.T) (any, bool) { return valueOf[string](t, 3) }, nil},
		{"a bool is not an int", func(t *testing.T) (any, bool) { return valueOf[int](t, true) }, nil},
		{"a map of the wrong type", func(t *testing.T) (any, bool) { return valueOf[map[string]int](t, map[string]any{"a": 1.0}) }, nil},
		{"an interface type", func(t *testing.T) (any, bool) { return valueOf[any](t, 1.5) }, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.read(t)
			if tt.want == nil {
				assert.False(t, ok, "got %#v", got)
				return
			}
			assert.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValueOfWhatIsNotThere(t *testing.T) {
	_, ok := manager.Value[int](nil, "n")
	assert.False(t, ok, "nil session")
	_, ok = manager.Value[int](manager.NewSession("id", 0), "n")
	assert.False(t, ok, "missing key")
}

func TestFlashesAreReadOnce(t *testing.T) {
	managertest.FlashesAreReadOnce(t, managertest.Memory)
}

func TestFlashesRefuseWhatCannotBeAFlash(t *testing.T) {
	assert.ErrorIs(t, manager.AddFlash(nil, "x"), manager.ErrNoSession)
	s := manager.NewSession("id", 0)
	assert.Error(t, manager.AddFlash(s, nil))
	flashes, err := manager.Flashes(s)
	assert.NoError(t, err)
	assert.Nil(t, flashes, "no flashes, no list")
	flashes, err = manager.Flashes(nil)
	assert.NoError(t, err)
	assert.Nil(t, flashes)
}
