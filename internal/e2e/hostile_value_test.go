package e2e_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// childEnv names the case a re-executed test binary runs: a crash must be
// watched from outside the process it kills.
const childEnv = "SESSION_E2E_CHILD"

// TestSelfContainingValueDoesNotCrashTheProcess: a map that contains
// itself, set as a session value, must be refused or kept, never take the
// process down: "Set refuses exactly what the store cannot load back
// (depth, size, cycles), and nothing a user stores can crash the process."
// Each case runs in a child process, whose exit the test checks.
func TestSelfContainingValueDoesNotCrashTheProcess(t *testing.T) {
	type storeCase struct {
		name     string
		newStore func(t *testing.T) store.Store
	}
	cases := []storeCase{{"memory", func(t *testing.T) store.Store { return store.NewMemory() }}}
	for _, tp := range redistest.Topologies() {
		cases = append(cases,
			storeCase{"redis-gob-" + tp.Name, func(t *testing.T) store.Store { return newTopologyStore(t, tp) }},
			storeCase{"redis-json-" + tp.Name, func(t *testing.T) store.Store { return newJSONRedisStore(t, tp) }},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if os.Getenv(childEnv) == tc.name {
				// A small stack makes endless recursion fail in
				// milliseconds and megabytes instead of a gigabyte.
				debug.SetMaxStack(64 << 20)
				e := newEnv(t, tc.newStore(t))
				b := e.newBrowser()
				id := e.login(t, netHTTPApp(e.m), b)
				self := map[string]any{}
				self["self"] = self
				err := e.m.GetSessionById(id).Set("loop", self)
				t.Logf("Set of a self-containing map returned %v", err)
				os.Stdout.WriteString("child survived\n")
				return
			}
			// Each child waits mostly on its own Redis deployment
			// starting: run them side by side.
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+tc.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if errors.As(err, &exit) || !strings.Contains(string(out), "child survived") {
				t.Fatalf("setting a self-containing value killed the process (%v):\n%s", err, firstLines(string(out), 12))
			}
			require.NoError(t, err)
		})
	}
}

// TestRedisJSONSetRefusesWhatLoadCannotRead: with the JSON codec, a value
// nested deeper than the codec reads back is refused at Set time; once
// stored it would make every later request of the session fail to load.
func TestRedisJSONSetRefusesWhatLoadCannotRead(t *testing.T) {
	forEachTopology(t, func(t *testing.T, tp redistest.Topology) {
		e := newEnv(t, newJSONRedisStore(t, tp))
		app := netHTTPApp(e.m)
		b := e.newBrowser()
		id := e.login(t, app, b)

		var deep any = "bottom"
		for range 40 {
			deep = []any{deep}
		}
		err := e.m.GetSessionById(id).Set("deep", deep)
		if err != nil {
			t.Logf("Set refused the value: %v", err)
		} else {
			rec := b.send(app, http.MethodGet, "/get?k=user")
			assert.Equal(t, http.StatusOK, rec.Code, "Set accepted a value, and now the session cannot be loaded")
		}
		e.end(t)
	})
}

// newJSONRedisStore returns a store on the package's shared deployment of
// tp, under a fresh prefix, that encodes values as JSON.
func newJSONRedisStore(t *testing.T, tp redistest.Topology) store.Store {
	t.Helper()
	return redisstore.New(tp.Client(t), redisstore.WithPrefix(redistest.Prefix()), redisstore.WithCodec(store.JSON()))
}
