package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
)

// ErrLayout is wrapped by the error of a store whose data in Redis was
// written with another layout: another number of shards (see [WithShards]),
// or the single hash tag of releases before shards. Its text says what the
// store found. Such a store refuses every call, rather than losing sight of
// sessions that live where it does not look.
var ErrLayout = errors.New("redisstore: the sessions in Redis were written with another layout")

// layoutVersion is the version of the key layout this release writes: 2,
// sharded. Version 1, never recorded, kept every key under one hash tag.
// The per-user indexes did not change it: they add keys and a record field
// that earlier releases of version 2 never read, and leave every key those
// releases read as it was (see users.go for what a mixed fleet misses).
const layoutVersion = 2

// layoutCheck caches a good answer of the layout check; a bad one is asked
// again at every call, so that a store starts working once it is fixed.
type layoutCheck struct{ ok atomic.Bool }

// layoutScript reads the layout key, or writes it when Redis holds no
// sessions of the prefix yet. It returns {version, shards} as found or
// written, or {"legacy", ""} when the index key of the single-tag layout
// exists (the earlier layout wrote no layout key). Reading and writing in
// one script makes the first of several instances starting at once decide
// the layout for all.
//
// KEYS: layout key, index key of the single-tag layout (both under the
// prefix's own tag). ARGV: version, shards.
var layoutScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'version', 'shards')
if v[1] then return {v[1], v[2] or ''} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'legacy', ''} end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'shards', ARGV[2])
return {ARGV[1], ARGV[2]}
`)

func (s *redisStore) layoutKey() string { return "{" + s.prefix + "}:layout" }

// legacyIndexKey is the key of the expiry index of the single-tag layout.
func (s *redisStore) legacyIndexKey() string { return "{" + s.prefix + "}:index" }

// Open returns a store that keeps sessions through client, as [New] does,
// after checking that the sessions already in Redis under its prefix were
// written with its layout and number of shards; on an empty Redis it records
// them. It returns an error wrapping [ErrLayout] that says what it found
// when they were not, and an error wrapping store.ErrUnavailable when Redis
// cannot be reached.
func Open(ctx context.Context, client redis.UniversalClient, opts ...Option) (store.Store, error) {
	s := newStore(client, opts...)
	if err := s.checkLayout(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// checkLayout makes sure that the data under the store's prefix has the
// store's layout. It reaches Redis until it has once found it so.
func (s *redisStore) checkLayout(ctx context.Context) error {
	if s.layout.ok.Load() {
		return nil
	}
	found, err := layoutScript.Run(ctx, s.client, []string{s.layoutKey(), s.legacyIndexKey()}, layoutVersion, s.shards).StringSlice()
	if err != nil {
		return s.fail("check layout", err)
	}
	if len(found) != 2 {
		return fmt.Errorf("redisstore: check layout: unexpected reply %q", found)
	}
	version, shards := found[0], found[1]
	switch {
	case version == "legacy":
		return fmt.Errorf("%w: Redis holds sessions under prefix %q in the single-hash-tag layout of earlier releases (key %q exists), and this store uses %d shards; see the README on upgrading",
			ErrLayout, s.prefix, s.legacyIndexKey(), s.shards)
	case version != strconv.Itoa(layoutVersion):
		return fmt.Errorf("%w: the layout key %q of prefix %q says version %q, and this release reads version %d",
			ErrLayout, s.layoutKey(), s.prefix, shorten(version), layoutVersion)
	case shards != strconv.Itoa(s.shards):
		return fmt.Errorf("%w: the sessions under prefix %q were written with %s shards (key %q), and this store is configured with %d; give every instance WithShards(%s)",
			ErrLayout, s.prefix, shorten(shards), s.layoutKey(), s.shards, shorten(shards))
	}
	s.layout.ok.Store(true)
	return nil
}
