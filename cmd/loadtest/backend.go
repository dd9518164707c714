package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// backend is where the instances keep their sessions.
type backend struct {
	// name says what it is, for the report.
	name string
	// newStore gives one instance its store and what to close with it: each
	// instance has a Redis client of its own, as a separate process would.
	newStore func() (store.Store, io.Closer)
	// close stops whatever startBackend started.
	close func()
}

// startBackend connects to the Redis that -redis names, or starts one of
// the topology that -topology names.
func startBackend(cfg config) (*backend, error) {
	prefix := newPrefix()
	var newClient func() redis.UniversalClient
	be := &backend{close: func() {}}
	switch cfg.topology {
	case topologySingle:
		opts := &redis.Options{Addr: cfg.redis}
		switch {
		case cfg.redis == "":
			dir, err := os.MkdirTemp("", "loadtest-redis-")
			if err != nil {
				return nil, err
			}
			srv, err := redistest.Launch(dir)
			if err != nil {
				_ = os.RemoveAll(dir)
				return nil, err
			}
			be.close = func() { srv.Close(); _ = os.RemoveAll(dir) }
			opts.Addr = srv.Addr
			be.name = "single redis-server " + srv.Addr + ", started by loadtest"
		case strings.Contains(cfg.redis, "://"):
			parsed, err := redis.ParseURL(cfg.redis)
			if err != nil {
				return nil, fmt.Errorf("-redis: %w", err)
			}
			opts = parsed
			be.name = "single Redis " + opts.Addr
		default:
			be.name = "single Redis " + cfg.redis
		}
		newClient = func() redis.UniversalClient { return redis.NewClient(opts) }
	case topologySentinel:
		if cfg.redis == "" {
			return nil, errors.New("-topology sentinel needs -redis (the sentinels' addresses): starting a Sentinel set is not supported yet")
		}
		opts := &redis.FailoverOptions{MasterName: cfg.master, SentinelAddrs: strings.Split(cfg.redis, ",")}
		be.name = fmt.Sprintf("Sentinel %s, master %q", cfg.redis, cfg.master)
		newClient = func() redis.UniversalClient { return redis.NewFailoverClient(opts) }
	case topologyCluster:
		if cfg.redis == "" {
			return nil, errors.New("-topology cluster needs -redis (some nodes' addresses): starting a Cluster is not supported yet")
		}
		opts := &redis.ClusterOptions{Addrs: strings.Split(cfg.redis, ",")}
		be.name = "Cluster " + cfg.redis
		newClient = func() redis.UniversalClient { return redis.NewClusterClient(opts) }
	}
	be.name += ", key prefix " + prefix
	be.newStore = func() (store.Store, io.Closer) {
		c := newClient()
		return redisstore.New(c, redisstore.WithPrefix(prefix)), c
	}
	return be, nil
}

// newPrefix returns a key prefix of its own for one run, so that a run on
// an existing Redis never meets another run's sessions.
func newPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "loadtest-" + hex.EncodeToString(b[:])
}
