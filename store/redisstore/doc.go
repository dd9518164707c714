// Package redisstore keeps sessions in Redis, so that many instances of an
// application share them: a session made on one instance is read and changed
// on all, the session count is the same everywhere, and each Destroyed event
// fires exactly once across all instances.
//
// The store works with any go-redis [redis.UniversalClient]: a single
// server, Sentinel or Cluster.
//
// # Layout
//
// A session is one Redis hash, keyed by the SHA-256 fingerprint of its ID
// (never the ID itself, so a dump of Redis holds nothing a client could
// present as a cookie). The hash has one field per session key, so two
// requests that change different keys of one session both keep their change.
// Four more fields hold the creation and access times and the limits.
//
// One sorted set indexes every session by its deadline (the earlier of the
// idle and the absolute one). Count reads its size and Sweep takes what is
// due from its front; no request or sweep ever scans the keyspace. Each hash
// also carries a Redis expiry at its deadline, so that nothing outlives its
// deadline even when no instance is running to sweep.
//
// Every key of one store shares a hash tag (the prefix in braces), so the
// Lua scripts that touch a session and the index together work in Redis
// Cluster. The price is that all sessions of one store live in one Cluster
// slot, on one node: the single index that gives an exact count and an
// atomic sweep is one key.
//
// # Round trips
//
// Loading a session and sliding its idle deadline is one script, so a request
// that only reads costs one round trip; a request that writes costs two
// (load, then one update of the keys it changed). Creating a session is one.
//
// # Lost replies
//
// A write whose reply the network loses (a timeout, a reset connection) may
// have run. Create, Delete, Renew and the sweep's claims are therefore sent
// again, a few times within the context's deadline, under a random token:
// their script leaves a short-lived marker, {prefix}:<kind>:<token>, that
// tells a second run what the first did, so a retried Delete still gets the
// session it removed and nobody reports it twice. Update is sent again as it
// is. An error that Redis answers is returned at once. The markers cost no
// round trip; a Delete's marker keeps the removed record for five minutes.
//
// When every attempt loses its reply, the call fails with an error wrapping
// store.ErrUnavailable, and the store's next call takes the work back: a
// claimed session returns to the index, for a later Delete or the sweep of
// any instance to report, and a created one is removed. The one window left
// is a process that stops, or stays cut off from Redis for five minutes,
// right after such a failure: the session it claimed is then never
// reported, as when a process stops between a claim and its Destroyed event.
//
// # Values
//
// Strings, booleans, ints, int64s, float64s, byte slices, string slices and
// times are kept in a compact tagged form that decodes without reflection.
// Any other value goes through the [Codec]: [Gob] by default (register your
// types with gob.Register), or [JSON]. A value the codec cannot encode is
// refused when it is set, with an error naming its key.
package redisstore
