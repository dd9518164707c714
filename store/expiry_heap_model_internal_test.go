package store

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExpiryHeapMatchesModel drives the hand-written expiry heap with
// random filings (many ties, times before 1970 and past 2262, nanosecond
// differences), pops and compactions, and checks it against a plain sorted
// list: a heap that popped out of order would let Sweep stop before a due
// session (a user's expired session would stay usable), or pop a live one.
func TestExpiryHeapMatchesModel(t *testing.T) {
	type filing struct {
		at  dueAt
		gen uint32
		e   *memoryEntry
	}
	var sessions [26]memoryEntry
	bases := []time.Time{
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1500, 6, 1, 0, 0, 0, 1, time.FixedZone("x", 3600)),
	}
	for seed := uint64(0); seed < 50; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		var h expiryHeap
		var model []filing
		checkInvariant := func() {
			for i := 1; i < len(h); i++ {
				require.False(t, h.less(i, (i-1)/2), "seed %d: heap order broken at %d", seed, i)
			}
			require.Len(t, h, len(model), "seed %d", seed)
		}
		for step := 0; step < 2000; step++ {
			switch op := r.IntN(10); {
			case op < 5:
				at := bases[r.IntN(len(bases))].Add(time.Duration(r.IntN(5)) * time.Nanosecond).Add(time.Duration(r.IntN(3)) * time.Second)
				f := filing{at: dueAtOf(at), gen: uint32(r.IntN(3)), e: &sessions[r.IntN(len(sessions))]}
				h.file(f.e, at, f.gen)
				model = append(model, f)
			case op < 9:
				now := bases[r.IntN(len(bases))].Add(time.Duration(r.IntN(5)) * time.Nanosecond).Add(time.Duration(r.IntN(3)) * time.Second)
				nowAt := dueAtOf(now)
				item, ok := h.popDue(now)
				// The model's earliest filing.
				slices.SortStableFunc(model, func(a, b filing) int {
					switch {
					case a.at.before(b.at):
						return -1
					case b.at.before(a.at):
						return 1
					}
					return 0
				})
				due := len(model) > 0 && !nowAt.before(model[0].at)
				require.Equal(t, due, ok, "seed %d step %d: popDue reported wrongly", seed, step)
				if ok {
					require.Equal(t, model[0].at, item.deadline(), "seed %d step %d: not the earliest", seed, step)
					i := slices.IndexFunc(model, func(f filing) bool {
						return f.at == item.deadline() && f.gen == item.gen && f.e == item.e
					})
					require.GreaterOrEqual(t, i, 0, "seed %d: popped a filing never made", seed)
					model = slices.Delete(model, i, i+1)
				}
			default:
				drop := uint32(r.IntN(3))
				h.retain(func(_ *memoryEntry, gen uint32) bool { return gen != drop })
				model = slices.DeleteFunc(model, func(f filing) bool { return f.gen == drop })
			}
			checkInvariant()
		}
	}
}
