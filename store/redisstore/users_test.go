package redisstore_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// The storetest suite pins what every store does for sessions per user.
// These tests pin what only the Redis store has to get right: its per-user
// index lives in another slot than the sessions it names, so a lost reply or
// a crash can leave it stale (see users.go).

// userHarness is a store on a fresh prefix of a topology's Redis, the
// client it uses with a Refuse and a LoseReplies hook on it, and the prefix.
type userHarness struct {
	s      store.Store
	client redis.UniversalClient
	refuse *redistest.Refuse
	lose   *redistest.LoseReplies
	prefix string
}

func newUserHarness(t *testing.T, tp redistest.Topology) *userHarness {
	t.Helper()
	h := &userHarness{client: tp.Client(t), refuse: &redistest.Refuse{}, lose: &redistest.LoseReplies{}, prefix: redistest.Prefix()}
	h.client.AddHook(h.refuse)
	h.client.AddHook(h.lose)
	h.s = redisstore.New(h.client, redisstore.WithPrefix(h.prefix))
	return h
}

// other returns a second store on the same prefix and client: another
// instance, with no calls of its own in doubt.
func (h *userHarness) other() store.Store {
	return redisstore.New(h.client, redisstore.WithPrefix(h.prefix))
}

// index returns the members of user's index, as Redis holds them.
func (h *userHarness) index(t *testing.T, user string) []string {
	t.Helper()
	members, err := h.client.ZRange(t.Context(), redisstore.UserIndexKey(h.prefix, user), 0, -1).Result()
	require.NoError(t, err)
	return members
}

// bound creates a session bound to user and returns its ID.
func (h *userHarness) bound(t *testing.T, user string, at time.Time) string {
	t.Helper()
	id := newID(t)
	require.NoError(t, h.s.Create(t.Context(), id, record(at, map[string]any{"k": "v"})))
	require.NoError(t, h.s.SetUser(t.Context(), id, user))
	return id
}

// sessionKey returns the key of id's record in a store with prefix and the
// default number of shards (see the package documentation).
func sessionKey(prefix, id string) string {
	const shards = 64
	tag := redisstore.ShardTags(prefix, shards)[redisstore.ShardOf(id, shards)]
	return "{" + tag + "}:s:" + redisstore.Fingerprint(id)
}

// removalFrom matches the ZREM of an entry of user's index.
func removalFrom(prefix, user string) redistest.Match {
	key := redisstore.UserIndexKey(prefix, user)
	return func(cmd redis.Cmder) bool {
		args := cmd.Args()
		return strings.EqualFold(cmd.Name(), "zrem") && len(args) > 1 && args[1] == key
	}
}

func maskedIDs(entries []store.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.MaskedID
	}
	return out
}

// TestUserIndexStaleEntries checks, on every topology, that an index entry
// left behind by a lost reply, a crash or Redis's own expiry is never
// listed, and is removed by the listing that finds it; and that a session
// whose index write was lost comes back into its user's list.
func TestUserIndexStaleEntries(t *testing.T) {
	for _, tp := range redistest.Topologies() {
		t.Run(tp.Name, func(t *testing.T) {
			t.Run("a delete whose index removal never ran", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := h.bound(t, "ada", at)

				h.refuse.Set(removalFrom(h.prefix, "ada"))
				rec, deleted, err := h.s.Delete(ctx, id)
				h.refuse.Set(nil)
				require.NoError(t, err, "the index is advisory: its removal failing does not fail the delete")
				require.True(t, deleted)
				assert.Equal(t, "ada", rec.User, "Delete hands the user back")
				require.Equal(t, []string{redisstore.Fingerprint(id)}, h.index(t, "ada"), "the entry is stale")

				listed, err := h.s.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Empty(t, listed, "a stale entry is never listed")
				assert.Empty(t, h.index(t, "ada"), "and the listing removed it")
			})

			t.Run("a record Redis expired before any sweep", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := h.bound(t, "ada", at)
				live := h.bound(t, "ada", at.Add(time.Millisecond))
				require.NoError(t, h.client.Del(ctx, sessionKey(h.prefix, id)).Err())

				listed, err := h.s.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Equal(t, []string{store.MaskedID(live)}, maskedIDs(listed))
				assert.Equal(t, []string{redisstore.Fingerprint(live)}, h.index(t, "ada"))
			})

			t.Run("a rebinding whose removal from the former user's index never ran", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := h.bound(t, "ada", at)

				h.refuse.Set(removalFrom(h.prefix, "ada"))
				err := h.s.SetUser(ctx, id, "bob")
				h.refuse.Set(nil)
				require.NoError(t, err)
				require.Len(t, h.index(t, "ada"), 1, "the entry is stale")

				listed, err := h.s.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Empty(t, listed, "a session bound to another user is not listed")
				assert.Empty(t, h.index(t, "ada"), "and its entry is removed")
				_, deleted, err := h.s.DeleteUserSession(ctx, "ada", store.MaskedID(id))
				require.NoError(t, err)
				assert.False(t, deleted, "nor deleted through the former user")

				listed, err = h.s.UserSessions(ctx, "bob", at)
				require.NoError(t, err)
				assert.Equal(t, []string{store.MaskedID(id)}, maskedIDs(listed))
			})

			t.Run("a rebinding between a listing's read and its removal", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := h.bound(t, "ada", at)
				h.refuse.Set(removalFrom(h.prefix, "ada"))
				require.NoError(t, h.s.SetUser(ctx, id, "bob"))

				// Another instance binds the session back to ada after the
				// listing read it as bob's, just before the listing removes
				// ada's entry as stale.
				other := redisstore.New(tp.Client(t), redisstore.WithPrefix(h.prefix))
				var once sync.Once
				removal := removalFrom(h.prefix, "ada")
				h.refuse.Set(func(cmd redis.Cmder) bool {
					if removal(cmd) {
						once.Do(func() { assert.NoError(t, other.SetUser(ctx, id, "ada")) })
					}
					return false
				})
				listed, err := h.s.UserSessions(ctx, "ada", at)
				h.refuse.Set(nil)
				require.NoError(t, err)
				assert.Empty(t, listed, "bound to bob when the listing read it")

				assert.Equal(t, []string{redisstore.Fingerprint(id)}, h.index(t, "ada"), "the listing's second look put the entry back")
				listed, err = h.s.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Equal(t, []string{store.MaskedID(id)}, maskedIDs(listed))
			})

			t.Run("a delete whose every reply was lost, after another instance dropped the entry", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := h.bound(t, "ada", at)
				other := h.other()

				h.lose.Lose(redistest.Script(redisstore.DeleteScriptSHA), 0, -1)
				_, _, err := h.s.Delete(ctx, id)
				h.lose.Stop()
				require.ErrorIs(t, err, store.ErrUnavailable)

				// The claim ran: to another instance the record is gone,
				// and the entry stale.
				listed, err := other.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Empty(t, listed)
				assert.Empty(t, h.index(t, "ada"))

				// The failed store's next call puts the session back, and
				// into its user's index.
				_, err = h.s.Count(ctx)
				require.NoError(t, err)
				listed, err = other.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				require.Equal(t, []string{store.MaskedID(id)}, maskedIDs(listed), "the failed delete did not happen")
				assert.Equal(t, "v", listed[0].Record.Values["k"])

				rec, deleted, err := other.DeleteUserSession(ctx, "ada", store.MaskedID(id))
				require.NoError(t, err)
				assert.True(t, deleted)
				assert.Equal(t, "ada", rec.User)
				assert.Empty(t, h.index(t, "ada"))
			})

			t.Run("a renewal whose index step never ran", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := h.bound(t, "ada", at)

				next := newID(t)
				h.refuse.Set(redistest.Script(redisstore.IndexScriptSHA))
				err := h.s.Renew(ctx, id, next, at)
				h.refuse.Set(nil)
				require.NoError(t, err, "the renewal took effect at its step 2")
				rec, found, err := h.s.Load(ctx, next, at, false)
				require.NoError(t, err)
				require.True(t, found)
				assert.Equal(t, "ada", rec.User, "the renewed record keeps its user")

				// The old record is still marked as moving: a listing
				// follows it to the new one, and writes its entry.
				listed, err := h.s.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Equal(t, []string{store.MaskedID(next)}, maskedIDs(listed))
				assert.ElementsMatch(t, []string{redisstore.Fingerprint(id), redisstore.Fingerprint(next)}, h.index(t, "ada"))

				// The renewal's member falls due after MoveGrace; the sweep
				// that finishes the move takes the old entry out.
				swept, err := h.other().Sweep(ctx, at.Add(redisstore.MoveGrace+time.Second), 10)
				require.NoError(t, err)
				assert.Empty(t, swept, "finishing a move reports nothing")
				listed, err = h.s.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Equal(t, []string{store.MaskedID(next)}, maskedIDs(listed))
				assert.Equal(t, []string{redisstore.Fingerprint(next)}, h.index(t, "ada"))
			})

			t.Run("a renewal whose index step and sweep both never ran", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := h.bound(t, "ada", at)
				next := newID(t)
				h.refuse.Set(redistest.Script(redisstore.IndexScriptSHA))
				require.NoError(t, h.s.Renew(ctx, id, next, at))
				h.refuse.Set(nil)

				// No listing came by either: the sweep that finishes the
				// move writes the entry, and removes the old one.
				swept, err := h.other().Sweep(ctx, at.Add(redisstore.MoveGrace+time.Second), 10)
				require.NoError(t, err)
				assert.Empty(t, swept, "finishing a move reports nothing")
				assert.Equal(t, []string{redisstore.Fingerprint(next)}, h.index(t, "ada"))
			})

			t.Run("a binding whose index write was refused", func(t *testing.T) {
				h := newUserHarness(t, tp)
				ctx, at := t.Context(), now()
				id := newID(t)
				require.NoError(t, h.s.Create(ctx, id, record(at, nil)))

				h.refuse.Set(redistest.Script(redisstore.IndexScriptSHA))
				err := h.s.SetUser(ctx, id, "ada")
				h.refuse.Set(nil)
				require.ErrorIs(t, err, store.ErrUnavailable, "the caller learns the list may not show it yet")

				// The store's next call writes the entry it kept in doubt.
				listed, err := h.s.UserSessions(ctx, "ada", at)
				require.NoError(t, err)
				assert.Equal(t, []string{store.MaskedID(id)}, maskedIDs(listed))
			})
		})
	}
}

// TestUsersSpreadOverCluster checks on a real 3-master Cluster that the
// indexes of many users spread over every master, rather than all living
// in the slot of one hash tag: of 300 users, each master holds at least 20%
// of the indexes (an even split is 33%).
func TestUsersSpreadOverCluster(t *testing.T) {
	const users = 300
	client := redistest.ClusterSet.Client(t)
	cluster, ok := client.(*redis.ClusterClient)
	require.True(t, ok, "the cluster topology gives a *redis.ClusterClient, not %T", client)
	prefix := redistest.Prefix()
	s := redisstore.New(client, redisstore.WithPrefix(prefix))
	ctx, at := t.Context(), now()
	for i := range users {
		id := newID(t)
		require.NoError(t, s.Create(ctx, id, record(at, nil)))
		require.NoError(t, s.SetUser(ctx, id, fmt.Sprintf("user%d@example.com", i)))
	}

	assertSpreadOverMasters(t, cluster, "{"+prefix+":u:*}:sessions", "zset", users)
}

// TestUserIndexExactUnderConcurrency runs, on every topology, three store
// instances on one Redis that renew, sweep, rebind and delete the sessions
// of one user at once, and checks that once they are done the user's list
// and, after that listing, the index itself hold exactly the live sessions.
func TestUserIndexExactUnderConcurrency(t *testing.T) {
	const (
		sessions = 24
		renewals = 4
	)
	for _, tp := range redistest.Topologies() {
		t.Run(tp.Name, func(t *testing.T) {
			prefix := redistest.Prefix()
			client := tp.Client(t)
			stores := make([]store.Store, 3)
			for i := range stores {
				stores[i] = redisstore.New(tp.Client(t), redisstore.WithPrefix(prefix))
			}
			ctx, at := t.Context(), now()
			sweepAt := at.Add(20 * time.Minute)

			// Half the sessions are due at sweepAt (10 idle minutes), half
			// are not (30); the sweepers race the renewals for the due
			// ones, and the members of the renewals fall due too.
			ids := make([]string, sessions)
			for i := range ids {
				ids[i] = newID(t)
				rec := record(at, map[string]any{"n": i})
				if i%2 == 0 {
					rec.Idle = 10 * time.Minute
				}
				require.NoError(t, stores[i%3].Create(ctx, ids[i], rec))
				require.NoError(t, stores[(i+1)%3].SetUser(ctx, ids[i], "ada"))
			}

			final := make([]string, sessions) // each session's last ID, "" once it ended
			var wg sync.WaitGroup
			for i := range ids {
				wg.Go(func() {
					id := ids[i]
					for r := range renewals {
						st := stores[(i+r)%3]
						next := newID(t)
						err := st.Renew(ctx, id, next, at)
						if errors.Is(err, store.ErrNotFound) {
							id = "" // swept
							break
						}
						if !assert.NoError(t, err) {
							return
						}
						id = next
						if r == 1 && i%3 == 0 {
							// Binding again to the same user changes
							// nothing, and races the sweeps. (Not after the
							// last renewal: it would write the entry that
							// renewal must have moved.)
							if err := st.SetUser(ctx, id, "ada"); err != nil && !errors.Is(err, store.ErrNotFound) {
								assert.NoError(t, err)
							}
						}
					}
					if id != "" && i%4 == 1 {
						// A quarter go through DeleteUserSession, racing
						// a plain Delete of the same session.
						var both sync.WaitGroup
						var n sync.Mutex
						deleted := 0
						both.Go(func() {
							_, d, err := stores[0].DeleteUserSession(ctx, "ada", store.MaskedID(id))
							assert.NoError(t, err)
							if d {
								n.Lock()
								deleted++
								n.Unlock()
							}
						})
						both.Go(func() {
							_, d, err := stores[1].Delete(ctx, id)
							assert.NoError(t, err)
							if d {
								n.Lock()
								deleted++
								n.Unlock()
							}
						})
						both.Wait()
						assert.Equal(t, 1, deleted, "exactly one delete reports the session")
						id = ""
					}
					final[i] = id
				})
			}
			for _, st := range stores {
				wg.Go(func() {
					for range 20 {
						_, err := st.Sweep(ctx, sweepAt, 5)
						assert.NoError(t, err)
					}
				})
			}
			wg.Wait()
			require.False(t, t.Failed())
			sweepAll(t, stores, sweepAt)

			// The due sessions are gone by now (sweepAll ran dry); the
			// others live under their last ID, but those deleted.
			for i := range final {
				if i%2 == 0 {
					final[i] = ""
				}
			}
			var want []string
			for _, id := range final {
				if id != "" {
					want = append(want, store.MaskedID(id))
				}
			}
			require.Len(t, want, sessions/4, "the sessions neither due nor deleted")
			listed, err := stores[2].UserSessions(ctx, "ada", sweepAt)
			require.NoError(t, err)
			assert.ElementsMatch(t, want, maskedIDs(listed), "listed: the live sessions, each once")
			for _, e := range listed {
				assert.Equal(t, "ada", e.Record.User)
			}

			members, err := client.ZRange(ctx, redisstore.UserIndexKey(prefix, "ada"), 0, -1).Result()
			require.NoError(t, err)
			var wantFPs []string
			for _, id := range final {
				if id != "" {
					wantFPs = append(wantFPs, redisstore.Fingerprint(id))
				}
			}
			assert.ElementsMatch(t, wantFPs, members, "the index holds exactly the live sessions")
		})
	}
}

// TestUserNamesStayOutOfKeyNames checks that no key name holds a user name
// or a part of one: an e-mail address used as a user shows up in no SCAN,
// MONITOR or slow log of key names.
func TestUserNamesStayOutOfKeyNames(t *testing.T) {
	s, client, prefix := storeOnOwnPrefix(t)
	ctx, at := t.Context(), now()
	users := []string{"ada.lovelace@example.com", "Bob Smith", "{curly}:user"}
	for _, user := range users {
		id := newID(t)
		require.NoError(t, s.Create(ctx, id, record(at, nil)))
		require.NoError(t, s.SetUser(ctx, id, user))
	}
	keys, err := client.Keys(ctx, "*"+prefix+"*").Result()
	require.NoError(t, err)
	indexes := 0
	for _, key := range keys {
		if strings.HasSuffix(key, "}:sessions") {
			indexes++
		}
		for _, user := range users {
			for _, part := range []string{user, "ada.lovelace", "example.com", "Bob", "curly"} {
				assert.NotContains(t, key, part, "key %q", key)
			}
		}
	}
	assert.Equal(t, len(users), indexes, "one index per user, in keys %q", keys)
}

// TestUserRoundTrips pins the round trips the package documentation gives
// for sessions per user, once the scripts are loaded.
func TestUserRoundTrips(t *testing.T) {
	client := redistest.Client(t)
	trips := &redistest.RoundTrips{}
	client.AddHook(trips)
	s := redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
	ctx, at := t.Context(), now()

	warm := newID(t)
	require.NoError(t, s.Create(ctx, warm, record(at, nil)))
	require.NoError(t, s.SetUser(ctx, warm, "warm"))
	require.NoError(t, s.SetExpires(ctx, warm, at.Add(time.Hour)))
	warmer := newID(t)
	require.NoError(t, s.Renew(ctx, warm, warmer, at))
	_, _ = s.UserSessions(ctx, "warm", at) // and open a second connection, for its pipeline
	_, _, _ = s.DeleteUserSession(ctx, "warm", store.MaskedID(warmer))

	const k = 5
	ids := make([]string, k)
	for i := range ids {
		ids[i] = newID(t)
		require.NoError(t, s.Create(ctx, ids[i], record(at.Add(time.Duration(i)*time.Millisecond), nil)))
	}
	renewed := newID(t)
	tests := []struct {
		name string
		op   func()
		want int64
	}{
		{"SetUser", func() {
			for _, id := range ids {
				require.NoError(t, s.SetUser(ctx, id, "ada"))
			}
		}, 2 * k},
		{"SetUser to another user", func() { require.NoError(t, s.SetUser(ctx, ids[0], "bob")) }, 3},
		{"SetUser back", func() { require.NoError(t, s.SetUser(ctx, ids[0], "ada")) }, 3},
		{"SetExpires", func() { require.NoError(t, s.SetExpires(ctx, ids[0], at.Add(time.Hour))) }, 1},
		{"UserSessions of k sessions", func() {
			listed, err := s.UserSessions(ctx, "ada", at)
			require.NoError(t, err)
			require.Len(t, listed, k)
		}, 2},
		{"DeleteUserSession", func() {
			_, deleted, err := s.DeleteUserSession(ctx, "ada", store.MaskedID(ids[1]))
			require.NoError(t, err)
			require.True(t, deleted)
		}, 3},
		{"Renew of a bound session", func() { require.NoError(t, s.Renew(ctx, ids[3], renewed, at)) }, 4},
		{"Delete of a bound session", func() {
			_, deleted, err := s.Delete(ctx, ids[2])
			require.NoError(t, err)
			require.True(t, deleted)
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := trips.During(tc.op)
			t.Logf("%s: %d round trips", tc.name, n)
			assert.Equal(t, tc.want, n)
		})
	}
	listed, err := s.UserSessions(ctx, "ada", at)
	require.NoError(t, err)
	assert.Equal(t, []string{store.MaskedID(ids[0]), store.MaskedID(renewed), store.MaskedID(ids[4])}, maskedIDs(listed), "oldest Created first, kept by renewal")
}

// TestSetExpiresInThePastKeepsTheRecord checks that a session whose
// absolute deadline is moved into the past stays in Redis, although its
// Redis expiry (the deadline plus the retention) has passed: Load shows it
// expired, and the sweep hands it back whole, with its values and its user,
// for its Destroyed event.
func TestSetExpiresInThePastKeepsTheRecord(t *testing.T) {
	s, _, _ := storeOnOwnPrefix(t)
	ctx, at := t.Context(), now()
	id := newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"k": "v"})))
	require.NoError(t, s.SetUser(ctx, id, "ada"))
	require.NoError(t, s.SetExpires(ctx, id, at.Add(-time.Minute)))

	rec, found, err := s.Load(ctx, id, at, true)
	require.NoError(t, err)
	require.True(t, found, "still there for Load")
	assert.True(t, rec.ExpiredAt(at))
	assert.True(t, rec.Expires.Equal(at.Add(-time.Minute)))

	swept, err := s.Sweep(ctx, at, 10)
	require.NoError(t, err)
	require.Len(t, swept, 1)
	assert.Equal(t, store.MaskedID(id), swept[0].MaskedID)
	assert.Equal(t, "ada", swept[0].Record.User)
	assert.Equal(t, "v", swept[0].Record.Values["k"])
}
