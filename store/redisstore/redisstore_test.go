package redisstore_test

import (
	"encoding/gob"
	"testing"
	"time"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
	"github.com/sessionkit/session/store/storetest"
)

func TestMain(m *testing.M) {
	gob.Register(storetest.Profile{})
	redistest.Main(m)
}

func TestConformance(t *testing.T) {
	configs := []struct {
		name string
		opts []redisstore.Option
	}{
		{"Gob", nil},
		{"JSON", []redisstore.Option{redisstore.WithCodec(store.JSON())}},
		{"Signed", []redisstore.Option{redisstore.WithSigningKeys([]byte("0123456789abcdef0123456789abcdef"))}},
		{"Retention", []redisstore.Option{redisstore.WithRetention(time.Minute)}},
		// Every renewal within one shard: the three steps of a renewal
		// then share their shard's keys.
		{"OneShard", []redisstore.Option{redisstore.WithShards(1)}},
		{"ThreeShards", []redisstore.Option{redisstore.WithShards(3)}},
		{"TouchEveryRead", []redisstore.Option{redisstore.WithTouchGranularity(0)}},
	}
	// Every topology: a Sentinel set and a Cluster must keep each guarantee
	// a single server does.
	for _, tp := range redistest.Topologies() {
		t.Run(tp.Name, func(t *testing.T) {
			for _, c := range configs {
				t.Run(c.name, func(t *testing.T) {
					storetest.Run(t, func(t *testing.T) store.Store {
						opts := append([]redisstore.Option{redisstore.WithPrefix(redistest.Prefix())}, c.opts...)
						return redisstore.New(tp.Client(t), opts...)
					})
				})
			}
		})
	}
}
