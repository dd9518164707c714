package pgstore_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/store/pgstore"
)

// Instances of a deployment start at once, each creating the tables that
// are missing: none of them may fail on another's half-made schema.
func TestNewConcurrently(t *testing.T) {
	pool := pgtest.Pool(t)
	table := pgtest.Table()
	t.Cleanup(func() { dropTables(t, pool, table) })
	const instances = 6
	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = pgstore.New(t.Context(), pool, pgstore.WithTable(table))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "instance %d", i)
	}
}
