package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMemoryIndexAgreesWithAModel runs long random sequences of Create,
// Load, Update, Delete and Renew over a small pool of IDs of every form
// (the manager's, aliases that decode to the same bytes, case variants,
// short, empty) against a model of what the Store interface promises:
// which IDs are sessions, which are tombstones of a renewal (ErrRenewed)
// until their session ends or forgets them, and which session's values
// each answer carries. Nothing expires: no sweep takes part.
func TestMemoryIndexAgreesWithAModel(t *testing.T) {
	type session struct {
		token     int
		formerIDs []string
	}
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			ctx := t.Context()
			r := rand.New(rand.NewPCG(seed, 11))
			m := newTestMemory()
			canonical, aliases := aliasIDs(t)
			pool := append([]string{canonical, "", "x", strings.ToLower(testID(t))}, aliases[:4]...)
			for range 8 {
				pool = append(pool, testID(t))
			}
			live := map[string]*session{}
			tomb := map[string]bool{}
			dropTombs := func(ids []string) {
				for _, id := range ids {
					delete(tomb, id)
				}
			}
			next := 0
			for step := range 3000 {
				id := pool[r.IntN(len(pool))]
				where := fmt.Sprintf("step %d, ID %q", step, id)
				switch op := r.IntN(5); op {
				case 0:
					next++
					err := m.Create(ctx, id, testRecord(map[string]any{"token": next}))
					if live[id] != nil || tomb[id] {
						require.ErrorIs(t, err, ErrExists, "Create, %s", where)
						continue
					}
					require.NoError(t, err, "Create, %s", where)
					live[id] = &session{token: next}
				case 1:
					rec, found, err := m.Load(ctx, id, testBase, false)
					require.NoError(t, err)
					require.Equal(t, live[id] != nil, found, "Load, %s", where)
					if found {
						require.Equal(t, live[id].token, rec.Values["token"], "Load, %s", where)
					}
				case 2:
					err := m.Update(ctx, id, map[string]any{"n": step})
					switch {
					case live[id] != nil:
						require.NoError(t, err, "Update, %s", where)
					case tomb[id]:
						require.ErrorIs(t, err, ErrRenewed, "Update, %s", where)
					default:
						require.ErrorIs(t, err, ErrNotFound, "Update, %s", where)
					}
				case 3:
					rec, deleted, err := m.Delete(ctx, id)
					switch {
					case live[id] != nil:
						require.NoError(t, err, "Delete, %s", where)
						require.True(t, deleted, "Delete, %s", where)
						require.Equal(t, live[id].token, rec.Values["token"], "Delete, %s", where)
						dropTombs(live[id].formerIDs)
						delete(live, id)
					case tomb[id]:
						require.ErrorIs(t, err, ErrRenewed, "Delete, %s", where)
					default:
						require.NoError(t, err, "Delete, %s", where)
						require.False(t, deleted, "Delete, %s", where)
					}
				case 4:
					to := pool[r.IntN(len(pool))]
					where += fmt.Sprintf(" to %q", to)
					err := m.Renew(ctx, id, to, testBase)
					switch {
					case live[id] == nil && !tomb[id]:
						require.ErrorIs(t, err, ErrNotFound, "Renew, %s", where)
					case tomb[id]:
						require.ErrorIs(t, err, ErrRenewed, "Renew, %s", where)
					case live[to] != nil || tomb[to]:
						require.ErrorIs(t, err, ErrExists, "Renew, %s", where)
					default:
						require.NoError(t, err, "Renew, %s", where)
						s := live[id]
						former := append(slices.Clone(s.formerIDs), id)
						if n := len(former) - maxFormerIDs; n > 0 {
							dropTombs(former[:n])
							former = former[n:]
						}
						delete(live, id)
						tomb[id] = true
						live[to] = &session{token: s.token, formerIDs: former}
					}
				}
				n, err := m.Count(ctx)
				require.NoError(t, err)
				require.Equal(t, len(live), n, "Count after %s", where)
			}
		})
	}
}
