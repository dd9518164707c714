package redisstore_test

import (
	"testing"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store/redisstore"
)

// BenchmarkUpdate measures the store's write of one changed value, the
// second round trip of a request that changes its session, next to a plain
// GET on the same client ("get"), the floor of any round trip: compare the
// two within one run.
func BenchmarkUpdate(b *testing.B) {
	client := redistest.Client(b)
	ctx, at := b.Context(), now()
	b.Run("get", func(b *testing.B) {
		key := redistest.Prefix() + ":get"
		if err := client.Set(ctx, key, "login", 0).Err(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := client.Get(ctx, key).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("update", func(b *testing.B) {
		s := redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
		id := newID(b)
		if err := s.Create(ctx, id, record(at, map[string]any{"key": "login"})); err != nil {
			b.Fatal(err)
		}
		changes := map[string]any{"n": 0}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n++
			changes["n"] = n
			if err := s.Update(ctx, id, changes); err != nil {
				b.Fatal(err)
			}
		}
	})
}
