package redisstore

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/internal/allocbudget"
	"github.com/sessionkit/session/store"
)

// FuzzDecodeRecord feeds hostile bytes to the record decoders (the array
// reply of the claiming scripts and the packed reply of a read), as a writer
// with access to Redis could store them: one field of an otherwise valid
// record (a time, or a value under any key). The decoder must never panic,
// must stay within the allocation budget, and whatever it accepts must be a
// value the store could have written itself.
//
// It decodes with the JSON codec and with gob behind signing keys. Unsigned
// gob is left out on purpose: encoding/gob trusts its input, and a value of
// a few dozen bytes can make it allocate gigabytes (golang/go#79539). That is
// what WithSigningKeys is for; SECURITY.md says so.
func FuzzDecodeRecord(f *testing.F) {
	f.Add("vuser", []byte("sada"))
	f.Add("vn", []byte("i\x54"))
	f.Add("a", []byte("1764140000000"))
	// The decoder never talks to Redis; the client is never dialed.
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	f.Cleanup(func() { _ = client.Close() })
	stores := []struct {
		name string
		s    *redisStore
	}{
		{"json", newStore(client, WithCodec(store.JSON()))},
		{"signed gob", newStore(client, WithSigningKeys([]byte("fuzz-key-fuzz-key-fuzz-key-fuzz!")))},
	}
	f.Fuzz(func(t *testing.T, field string, value []byte) {
		for _, st := range stores {
			// A hash has each field once: a fuzzed time replaces the stored one.
			h := map[string]string{"c": "1764140000000", "a": "1764140000000", "i": "1800000", "e": "0"}
			h[field] = string(value)
			var fields []any
			for name, v := range h {
				fields = append(fields, name, v)
			}
			reply := []any{int64(0), fields}
			var rec store.Record
			var err error
			allocbudget.Check(t, st.name+" decode", func() {
				r, e := st.s.decodeReply(reply, true)
				rec, err = r, e
			})
			// A read decodes the same fields from HGETALL's map, and must
			// get the same record, or fail the same way.
			var mrec store.Record
			var merr error
			allocbudget.Check(t, st.name+" decode map", func() {
				mrec, merr = st.s.decodeFields(h)
			})
			if (err == nil) != (merr == nil) {
				t.Fatalf("%s: the array reply decodes with %v, the map with %v", st.name, err, merr)
			}
			if err == nil && (!rec.Created.Equal(mrec.Created) || rec.User != mrec.User ||
				fmt.Sprintf("%#v", rec.Values) != fmt.Sprintf("%#v", mrec.Values)) { // %#v: a NaN equals itself
				t.Fatalf("%s: the array reply decodes to %+v, the map to %+v", st.name, rec, mrec)
			}
			if err != nil {
				continue
			}
			for k, v := range rec.Values {
				if _, err := st.s.form.Encode(k, v); err != nil {
					t.Errorf("%s: decoded %q into %#v, which the store refuses to write: %v", st.name, k, v, err)
				}
			}
		}
	})
}
