// Package redisstore keeps sessions in Redis, so that many instances of an
// application share them: a session made on one instance is read and changed
// on all, the session count is the same everywhere, and each Destroyed event
// fires exactly once across all instances.
//
// The store works with any go-redis [redis.UniversalClient]: a single
// server, Sentinel or Cluster. With [WithReplicaAcks] every write waits for
// replicas (Redis's WAIT) and fails closed when too few acknowledged it.
//
// # Layout
//
// A session is one Redis hash, keyed by the SHA-256 fingerprint of its ID
// (never the ID itself, so a dump of Redis holds nothing a client could
// present as a cookie). The hash has one field per session key, so two
// requests that change different keys of one session both keep their change.
// Four more fields hold the creation and access times and the limits.
//
// Sessions are spread over shards ([WithShards], 64 by default), each a hash
// tag of its own, {prefix:<suffix>}, with the suffix chosen so that the
// shards sit on evenly spaced Cluster slots: on Redis Cluster the sessions
// of one store spread over every master. A session lives in the shard its
// fingerprint picks, and every Lua script touches the keys of one shard, so
// each works in Cluster and is atomic. Each shard has a sorted set that
// indexes its sessions by deadline (the earlier of the idle and the
// absolute one). Count sums the shards' sizes in one pipelined round, and
// Sweep takes what is due from the shards in turn; no request or sweep ever
// scans the keyspace. Each hash also carries a Redis expiry at its deadline,
// so that nothing outlives its deadline even when no instance is running to
// sweep.
//
// A session bound to a user (store.Store.SetUser) carries the user in its
// hash, and is listed in the user's index: a sorted set of session
// fingerprints scored by creation time, {prefix:u:<SHA-256 of the user>}:sessions,
// whose hash tag of its own spreads users over the Cluster, and whose name
// holds no user name. The index and the session live in different slots, so
// the index is advisory on every topology: a listing reads each session it
// names, lists only live sessions still bound to the user, and removes the
// stale entries a lost reply or a crash left behind (see users.go for the
// order of writes that keeps this safe, and its windows).
//
// One small key, {prefix}:layout, records the layout and the number of
// shards. [Open] checks it and refuses data of another layout with an error
// wrapping [ErrLayout]; a store made with [New] fails every call with that
// error until the data is fixed.
//
// # Round trips
//
// Loading a session is one plain HGETALL, no script, so a request that only
// reads costs one round trip; a request that writes costs two (load, then
// one update of the keys it changed). Creating a session is one, and so is
// Count. A read writes only when it moves the idle deadline by at least the
// touch granularity ([WithTouchGranularity]): that read costs one more round
// trip, a script that slides the deadline only if the record is still there,
// not being renewed away, not expired, and last accessed before the read's
// time. A touch is not sent again when its reply is lost: it only moves the
// access time forward, so whether or not it ran, the session expires no
// later than its last read allows.
//
// Reads go where the client sends them: a replica that lags could answer a
// session that was just deleted or renewed away, so [New] and [Open] panic
// on a client whose options route read-only commands to replicas (ReadOnly,
// RouteByLatency or RouteRandomly in go-redis's Cluster and failover
// options). A failover client made with ReplicaOnly connects to a replica
// and cannot be told from one on the master: do not give it to the store.
// The touch always runs on the master. Renewal moves the
// record to the new ID's shard in three steps, three round trips (see the
// top of renew.go for how its guarantees hold across shards); deleting a
// renewed session costs one more, to forget the IDs it was renewed from.
// A session bound to a user costs one more round trip to delete or renew,
// to change its user's index. Binding a session costs two round trips
// (three when it moves from one user to another); listing a user's k
// sessions costs two whatever k is (the records are read in one pipelined
// round, one pipeline per Cluster node), two more when it finds stale
// entries to remove, and one more when it meets a renewal under way;
// deleting one of them by its masked ID costs three.
// Moving a session's absolute deadline costs one.
//
// # Lost replies
//
// A write whose reply the network loses (a timeout, a reset connection) may
// have run. Create, Delete, Renew and the sweep's claims are therefore sent
// again, a few times within the context's deadline, under a random token:
// their script leaves a short-lived marker, {tag}:<kind>:<token> in the
// shard it works on, that tells a second run what the first did, so a retried Delete still gets the
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
// Any other value goes through the [store.Codec]: [store.Gob] by default
// (register your types with gob.Register), or [store.JSON]. A value the codec cannot encode is
// refused when it is set, with an error naming its key.
package redisstore
