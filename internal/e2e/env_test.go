package e2e_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// env is one manager on a given store, with the stress test's timeouts, a
// fake clock, a ledger of its events and a captured debug log. Several envs
// may share a store, a clock and a ledger, as instances of one application
// do (see newInstances).
type env struct {
	name   string
	m      *manager.Manager
	clock  *testkit.Clock
	ledger *ledger
	logs   *testkit.Buffer
	// created counts the Created events of this env's manager alone: the
	// ledger, shared by instances, cannot tell which one fired.
	created atomic.Int64
}

// newEnv returns one manager on st, its options changed by tune.
func newEnv(t *testing.T, st store.Store, tune ...func(*manager.Options)) *env {
	t.Helper()
	return buildEnv(t, "instance 0", st, newRealTimeClock(), newLedger(), tune)
}

// newInstances returns n managers, each on a store of its own from newStore
// (as separate processes would have), sharing one clock and one ledger.
func newInstances(t *testing.T, n int, newStore func(t *testing.T) store.Store, tune ...func(*manager.Options)) []*env {
	t.Helper()
	clock, l := newRealTimeClock(), newLedger()
	out := make([]*env, n)
	for i := range out {
		out[i] = buildEnv(t, fmt.Sprintf("instance %d", i), newStore(t), clock, l, tune)
	}
	return out
}

// newRealTimeClock returns a fake clock at the real time: Redis expires
// keys by the real clock.
func newRealTimeClock() *testkit.Clock {
	return testkit.NewClockAt(time.Now().Truncate(time.Millisecond))
}

func buildEnv(t *testing.T, name string, st store.Store, clock *testkit.Clock, l *ledger, tune []func(*manager.Options)) *env {
	t.Helper()
	e := &env{name: name, clock: clock, ledger: l, logs: &testkit.Buffer{}}
	ids := &testkit.IDRecorder{}
	opts := manager.Options{
		MaxInactiveInterval: stressIdle,
		MaxAge:              stressMaxAge,
		GcStopChan:          testkit.StoppedSweeper(),
		Clock:               clock.Now,
		Logger:              slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Rand:                ids,
	}
	for _, f := range tune {
		f(&opts)
	}
	opts.Store = &linkingStore{Store: st, ledger: l}
	e.m = manager.NewManager(opts, nil, func(s manager.Session, event int) {
		if event == manager.Created {
			e.created.Add(1)
		}
		l.handle(s, event)
	})
	// Registered first, so it runs last: after Close, with every log line in.
	t.Cleanup(func() {
		if leaked := ids.FoundIn(e.logs.String()); leaked != "" {
			t.Errorf("%s: a log line holds a raw session ID (masked %s)", name, leaked)
		}
	})
	t.Cleanup(func() { _ = e.m.Close() })
	return e
}

// end ends every session and checks the events (see endAll).
func (e *env) end(t *testing.T) {
	t.Helper()
	endAll(t, e.clock, e.ledger, e.m)
}

// newBrowser returns a browser without a cookie.
func (e *env) newBrowser() *browser { return &browser{name: cookieName} }

// login starts a session for b through h and returns its ID.
func (e *env) login(t *testing.T, h http.Handler, b *browser) string {
	t.Helper()
	rec := b.send(h, http.MethodPost, "/login?user=ada")
	require.Equal(t, http.StatusOK, rec.Code, body(rec))
	id := b.cookie.load()
	require.NotEmpty(t, id)
	return id
}

// sharedRedis returns a maker of Redis stores that share one fresh prefix,
// each through a client of its own from newClient with hooks added: the
// stores of instances of one application, for newInstances. newClient is
// tp.Client for a topology's shared deployment, or a private deployment's
// (see deploymentClients).
func sharedRedis(newClient func(testing.TB) redis.UniversalClient, hooks ...redis.Hook) func(t *testing.T) store.Store {
	prefix := redistest.Prefix()
	return func(t *testing.T) store.Store {
		t.Helper()
		c := newClient(t)
		for _, h := range hooks {
			c.AddHook(h)
		}
		return redisstore.New(c, redisstore.WithPrefix(prefix))
	}
}

// errLostReply is what a client sees when the connection breaks after
// Redis ran its command: the command took effect, the reply never came.
var errLostReply = io.ErrUnexpectedEOF

// The store's scripts, told apart by the kind of marker key each names
// (see store/redisstore's key layout): the script text is not exported. A
// renewal is three scripts, whose markers are "renew" (in the new ID's
// shard) and "renewed" (in the old ID's).
var (
	isDeleteScript = redistest.ScriptWithKey("}:claim:")
	isCreateScript = redistest.ScriptWithKey("}:create:")
	isRenewScript  = func(cmd redis.Cmder) bool {
		return redistest.ScriptWithKey("}:renew:")(cmd) || redistest.ScriptWithKey("}:renewed:")(cmd)
	}
)

// renewedFingerprints returns the old and new fingerprints a renew script
// call names: its first two arguments after the keys.
func renewedFingerprints(cmd redis.Cmder) (oldFP, newFP string) {
	args := cmd.Args()
	n, _ := args[2].(int)
	if len(args) < 5+n {
		return "", ""
	}
	oldFP, _ = args[3+n].(string)
	newFP, _ = args[4+n].(string)
	return oldFP, newFP
}

// randomLoser is a go-redis hook that loses the reply of about one script
// call in oneIn that Redis ran, alone or in a pipeline, while on. A renewal
// whose reply it loses still happened: it tells the ledger, which could
// not learn it from the store's answer.
type randomLoser struct {
	on     atomic.Bool
	ledger *ledger
	oneIn  int

	mu   sync.Mutex
	rng  *rand.Rand
	lost int
}

func (h *randomLoser) losses() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost
}

func (h *randomLoser) loses(cmd redis.Cmder) bool {
	if cmd.Err() != nil || !h.on.Load() {
		return false
	}
	if name := cmd.Name(); name != "eval" && name != "evalsha" {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rng.IntN(h.oneIn) != 0 {
		return false
	}
	h.lost++
	if isRenewScript(cmd) && isRenewed(cmd) {
		oldFP, newFP := renewedFingerprints(cmd)
		h.ledger.renamedMasked(oldFP[:min(12, len(oldFP))], newFP[:min(12, len(newFP))])
	}
	return true
}

// isRenewed reports whether a renew script call moved its session, or
// began to (which the store then finishes): it answered 1, or a reply
// beginning with 1.
func isRenewed(cmd redis.Cmder) bool {
	c, ok := cmd.(*redis.Cmd)
	if !ok {
		return false
	}
	if res, err := c.Slice(); err == nil {
		return len(res) > 0 && res[0] == int64(1)
	}
	n, err := c.Int()
	return err == nil && n == 1
}

func (h *randomLoser) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *randomLoser) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err == nil && h.loses(cmd) {
			cmd.SetErr(errLostReply)
			return errLostReply
		}
		return err
	}
}

func (h *randomLoser) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			if h.loses(cmd) {
				cmd.SetErr(errLostReply)
				if err == nil {
					err = errLostReply
				}
			}
		}
		return err
	}
}
