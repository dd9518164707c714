package redisstore_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// Two types registered with gob under names of one length, so that a test
// can turn the bytes of one into a value that claims to be the other: a
// stored value whose type changed between releases.
type (
	wireIntName    struct{ Name int }
	wireStringName struct{ Name string }
)

func init() {
	gob.RegisterName("sessionkit.test.A", wireIntName{})
	gob.RegisterName("sessionkit.test.B", wireStringName{})
}

// hostile describes a record written into Redis behind the store's back.
type hostile struct {
	name   string
	field  string // the hash field to overwrite
	value  string // its new bytes
	remove bool   // remove the field instead
}

// hostileRecords are stored bytes that must never decode into a session.
func hostileRecords(t *testing.T) []hostile {
	var changed bytes.Buffer
	var v any = wireIntName{Name: 7}
	require.NoError(t, gob.NewEncoder(&changed).Encode(&v))
	changedType := strings.Replace(changed.String(), "sessionkit.test.A", "sessionkit.test.B", 1)

	return []hostile{
		{"unknown tag", "vuser", "\x00ada", false},
		{"empty value", "vuser", "", false},
		{"truncated int", "vuser", "i\xff", false},
		{"int with trailing bytes", "vuser", "i\x02\x00", false},
		{"short float", "vuser", "d\x00\x01", false},
		{"bad time", "vuser", "Tnot a time", false},
		{"bool with trailing bytes", "vuser", "tx", false},
		{"gob of a changed type", "vuser", "c" + changedType, false},
		{"gob garbage", "vuser", "c\x03\xff\xff\xff", false},
		{"gob message longer than the value", "vuser", "c\xfd\x90\x00\x00\x01\x02", false},
		{"gob of an unregistered name", "vuser", "c" + strings.Replace(changed.String(), "sessionkit.test.A", "sessionkit.test.Z", 1), false},
		{"value over the size limit", "vuser", "s" + strings.Repeat("x", 64<<10+1), false},
		{"access time not a number", "a", "yesterday", false},
		{"missing creation time", "c", "", true},
	}
}

// hostileEnv is a session whose record was changed behind the store's back.
type hostileEnv struct {
	s      store.Store
	client *redis.Client
	id     string    // the session's ID
	key    string    // its record's Redis key
	at     time.Time // when it was created
}

// plantHostile creates a session with one value on a store made with opts,
// then changes its record in Redis as h says.
func plantHostile(t *testing.T, h hostile, opts ...redisstore.Option) hostileEnv {
	t.Helper()
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	e := hostileEnv{
		s:      redisstore.New(client, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...),
		client: client, id: newID(t), at: now(),
	}
	ctx := t.Context()
	require.NoError(t, e.s.Create(ctx, e.id, record(e.at, map[string]any{"user": "ada"})))
	e.key = recordKey(t, client, prefix)
	if h.remove {
		require.NoError(t, client.HDel(ctx, e.key, h.field).Err())
	} else {
		require.NoError(t, client.HSet(ctx, e.key, h.field, h.value).Err())
	}
	return e
}

// TestDecodeHostileRecordFails checks the default: a record that does not
// decode fails the load with ErrDecode, names the session only by its
// masked ID, and is left as it was.
func TestDecodeHostileRecordFails(t *testing.T) {
	for _, h := range hostileRecords(t) {
		t.Run(h.name, func(t *testing.T) {
			e := plantHostile(t, h)
			s, client, id, key, ctx, at := e.s, e.client, e.id, e.key, t.Context(), e.at

			_, found, err := s.Load(ctx, id, at, true)
			require.ErrorIs(t, err, redisstore.ErrDecode)
			assert.False(t, found)
			assert.NotContains(t, err.Error(), id)
			assert.Contains(t, err.Error(), store.MaskedID(id))
			n, err := client.Exists(ctx, key).Result()
			require.NoError(t, err)
			assert.EqualValues(t, 1, n, "a failed load changes nothing")

			_, deleted, err := s.Delete(ctx, id)
			require.NoError(t, err)
			assert.True(t, deleted, "a record that does not decode can still be destroyed")
		})
	}
}

// TestDecodeHostileRecordResets checks WithResetOnDecodeError: the record's
// data is dropped and the load finds no session; the index keeps its entry,
// so the sweep still reports the session once at its deadline.
func TestDecodeHostileRecordResets(t *testing.T) {
	for _, h := range hostileRecords(t) {
		t.Run(h.name, func(t *testing.T) {
			e := plantHostile(t, h, redisstore.WithResetOnDecodeError())
			s, id, ctx, at := e.s, e.id, t.Context(), e.at

			_, found, err := s.Load(ctx, id, at, true)
			require.NoError(t, err)
			assert.False(t, found)
			_, found, err = s.Load(ctx, id, at, true)
			require.NoError(t, err)
			assert.False(t, found, "the reset is lasting")

			swept, err := s.Sweep(ctx, at.Add(3*time.Hour), 10)
			require.NoError(t, err)
			require.Len(t, swept, 1)
			assert.Equal(t, store.MaskedID(id), swept[0].MaskedID)
		})
	}
}

// TestDecodeSignedValues checks WithSigningKeys: a value changed in Redis,
// moved to another key or written unsigned never reaches a decoder, and a
// key rotation keeps old values readable.
func TestDecodeSignedValues(t *testing.T) {
	oldKey := []byte("old-key-old-key-old-key-old-key-")
	newKey := []byte("new-key-new-key-new-key-new-key-")
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	ctx, at := t.Context(), now()

	signedOld := redisstore.New(client, redisstore.WithPrefix(prefix), redisstore.WithSigningKeys(oldKey))
	id := newID(t)
	require.NoError(t, signedOld.Create(ctx, id, record(at, map[string]any{"user": "ada", "role": "reader"})))

	rotated := redisstore.New(client, redisstore.WithPrefix(prefix), redisstore.WithSigningKeys(newKey, oldKey))
	rec, found, err := rotated.Load(ctx, id, at, false)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, map[string]any{"user": "ada", "role": "reader"}, rec.Values, "values signed with the old key still read")

	key := recordKey(t, client, prefix)
	user, err := client.HGet(ctx, key, "vuser").Result()
	require.NoError(t, err)
	tampered := []struct {
		name  string
		field string
		value string
	}{
		{"value changed", "vrole", "sadmin" + strings.Repeat("\x00", 16)},
		{"value moved to another key", "vrole", user},
		{"value written unsigned", "vrole", "sadmin"},
		{"hostile gob behind no signature", "vrole", "c\x03\xff\xff\xff"},
	}
	for _, tc := range tampered {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, client.HSet(ctx, key, tc.field, tc.value).Err())
			_, _, err := rotated.Load(ctx, id, at, false)
			assert.ErrorIs(t, err, redisstore.ErrDecode)
			assert.ErrorContains(t, err, "MAC does not match")
		})
	}
}

// TestDecodeJSONDepthIsBounded checks that a deeply nested JSON value is
// refused before it is decoded.
func TestDecodeJSONDepthIsBounded(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t, redisstore.WithCodec(store.JSON()))
	ctx, at := t.Context(), now()
	id := newID(t)
	shallow := map[string]any{"a": []any{map[string]any{"b": 1.5}}}
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"doc": shallow})))
	rec, _, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	assert.Equal(t, shallow, rec.Values["doc"])

	deep := strings.Repeat("[", 33) + strings.Repeat("]", 33)
	require.NoError(t, client.HSet(ctx, recordKey(t, client, prefix), "vdoc", "c"+deep).Err())
	_, _, err = s.Load(ctx, id, at, false)
	assert.ErrorIs(t, err, redisstore.ErrDecode)
	assert.ErrorContains(t, err, "nesting deeper than 32")
}

// TestCheckValueRefusesWhatCannotBeStored checks that Set-time checking
// refuses values that cannot be stored, with an error naming the key.
func TestCheckValueRefusesWhatCannotBeStored(t *testing.T) {
	type unregistered struct{ A int }
	gobStore := asChecking(redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix())))
	jsonStore := asChecking(redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix()), redisstore.WithCodec(store.JSON())))
	tests := []struct {
		name  string
		s     checkingStore
		value any
		is    error
	}{
		{"gob channel", gobStore, make(chan int), nil},
		{"gob func", gobStore, func() {}, nil},
		{"gob unregistered type", gobStore, unregistered{A: 1}, nil},
		{"gob too large", gobStore, strings.Repeat("x", 64<<10+1), redisstore.ErrValueTooLarge},
		{"json struct", jsonStore, unregistered{A: 1}, nil},
		{"json typed slice", jsonStore, []int{1}, nil},
		{"json nested int", jsonStore, map[string]any{"n": 1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.CheckValue("cart", tc.value)
			require.Error(t, err)
			assert.ErrorContains(t, err, `key "cart"`)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
	assert.NoError(t, gobStore.CheckValue("cart", strings.Repeat("x", 64<<10)), "exactly the limit fits")
}

// TestDecodeGobDepthIsBounded checks that a gob value nested deeper than
// Set accepts (32 levels) is refused at Load too, and that one at the bound
// loads: Set and Load agree on the bound.
func TestDecodeGobDepthIsBounded(t *testing.T) {
	nested := func(depth int) string {
		var v any = "leaf"
		for range depth {
			v = []any{v}
		}
		var buf bytes.Buffer
		require.NoError(t, gob.NewEncoder(&buf).Encode(&v))
		return "c" + buf.String()
	}
	for _, tc := range []struct {
		depth int
		ok    bool
	}{{32, true}, {33, false}} {
		t.Run(fmt.Sprint(tc.depth), func(t *testing.T) {
			e := plantHostile(t, hostile{name: "deep gob", field: "vuser", value: nested(tc.depth)})
			_, _, err := e.s.Load(t.Context(), e.id, e.at, false)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, redisstore.ErrDecode)
			assert.ErrorContains(t, err, "deeper than 32")
		})
	}
}

// TestDecodeSignedValuesAreNotBoundToTheSession pins what signing does not
// do, as SECURITY.md says: a signature binds a value to its key name, not
// to its session, and the record's times are not signed. So a writer with
// access to Redis can copy a whole record, or one value, from one session
// to another, and move a session's deadlines.
func TestDecodeSignedValuesAreNotBoundToTheSession(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t, redisstore.WithSigningKeys([]byte("bind-key-bind-key-bind-key-bind!")))
	ctx, at := t.Context(), now()
	ada, bob := newID(t), newID(t)
	require.NoError(t, s.Create(ctx, ada, record(at, map[string]any{"user": "ada", "role": "admin"})))
	adaKey := recordKey(t, client, prefix)
	require.NoError(t, s.Create(ctx, bob, record(at, map[string]any{"user": "bob"})))
	keys, err := client.Keys(ctx, "{"+prefix+":*}:s:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 2)
	bobKey := keys[0]
	if bobKey == adaKey {
		bobKey = keys[1]
	}

	fields, err := client.HGetAll(ctx, adaKey).Result()
	require.NoError(t, err)
	require.NoError(t, client.HSet(ctx, bobKey, fields).Err())
	later := at.Add(24 * time.Hour)
	require.NoError(t, client.HSet(ctx, bobKey, "e", later.UnixMilli()).Err())

	rec, found, err := s.Load(ctx, bob, at, false)
	require.NoError(t, err, "a copied record verifies: the signatures are not bound to the session")
	require.True(t, found)
	assert.Equal(t, map[string]any{"user": "ada", "role": "admin"}, rec.Values)
	assert.True(t, rec.Expires.Equal(later), "the absolute deadline is not signed")
}

// TestWithMaxValueSizeMovesTheLimit checks that WithMaxValueSize replaces
// the 64 KiB default: a value of exactly the limit fits, one byte more is
// refused with ErrValueTooLarge, at Set time and by Update.
func TestWithMaxValueSizeMovesTheLimit(t *testing.T) {
	const limit = 100
	s := redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix()), redisstore.WithMaxValueSize(limit))
	fits, over := strings.Repeat("x", limit), strings.Repeat("x", limit+1) // a string is stored as its bytes
	require.NoError(t, asChecking(s).CheckValue("note", fits), "exactly the limit fits")
	assert.ErrorIs(t, asChecking(s).CheckValue("note", over), redisstore.ErrValueTooLarge)

	ctx, at, id := t.Context(), time.Now(), newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, nil)))
	assert.ErrorIs(t, s.Update(ctx, id, map[string]any{"note": over}), redisstore.ErrValueTooLarge)
	require.NoError(t, s.Update(ctx, id, map[string]any{"note": fits}))
	rec, _, err := s.Load(ctx, id, at, false)
	require.NoError(t, err)
	assert.Equal(t, fits, rec.Values["note"])
}
