package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
)

// The tests of this file break the connection to Redis after Redis ran a
// command and before its reply came back: the write took effect, the
// client saw a network error. "A lost reply never loses an event: claims
// are idempotent and retried." Each test then lets the user retry and time
// pass, and checks that every session still fires Destroyed exactly once.

// TestRedisLostDeleteReplyStillFiresDestroyed: a logout whose claim ran in
// Redis but whose reply was lost, followed by the user's retry and the
// deadlines passing, still fires Destroyed for the session, once.
func TestRedisLostDeleteReplyStillFiresDestroyed(t *testing.T) {
	forEachTopology(t, testRedisLostDeleteReplyStillFiresDestroyed)
}

func testRedisLostDeleteReplyStillFiresDestroyed(t *testing.T, tp redistest.Topology) {
	loser := &redistest.LoseReplies{}
	e := newEnv(t, newTopologyStore(t, tp, loser))
	app := netHTTPApp(e.m)
	b := e.newBrowser()
	e.login(t, app, b)

	loser.Lose(isDeleteScript, 0, 1)
	rec := b.send(app, http.MethodPost, "/logout")
	require.Equal(t, 1, loser.Lost(), "the claim's reply was lost")
	t.Logf("logout whose reply was lost answered %d", rec.Code)
	rec = b.send(app, http.MethodPost, "/logout") // the user tries again
	t.Logf("the retry answered %d", rec.Code)
	e.end(t)
}

// TestRedisLostSweepReplyStillFiresDestroyed: a sweep whose claims ran in
// Redis but whose replies were lost does not lose the Destroyed events of
// the sessions it claimed: a later sweep, on this instance or another,
// still reports each of them once.
func TestRedisLostSweepReplyStillFiresDestroyed(t *testing.T) {
	forEachTopology(t, testRedisLostSweepReplyStillFiresDestroyed)
}

func testRedisLostSweepReplyStillFiresDestroyed(t *testing.T, tp redistest.Topology) {
	loser := &redistest.LoseReplies{}
	e := newEnv(t, newTopologyStore(t, tp, loser))
	app := netHTTPApp(e.m)
	for range 3 {
		e.login(t, app, e.newBrowser())
	}
	e.clock.Step((stressIdle + 1) * time.Second)

	loser.Lose(isDeleteScript, 0, 3)
	n, err := e.m.Sweep(context.Background())
	require.Equal(t, 3, loser.Lost(), "the claims' replies were lost")
	t.Logf("sweep whose replies were lost: %d sessions, err %v", n, err)
	e.end(t) // sweeps again until nothing is left
}

// TestRedisLostCreateReplyKeepsEventsBalanced: a login whose create ran in
// Redis but whose reply was lost fires no Created (the manager saw an
// error); the session it left in Redis must then not fire Destroyed when
// its deadline passes, or an application counting Created minus Destroyed
// (live users) drifts below the truth for good.
func TestRedisLostCreateReplyKeepsEventsBalanced(t *testing.T) {
	forEachTopology(t, testRedisLostCreateReplyKeepsEventsBalanced)
}

func testRedisLostCreateReplyKeepsEventsBalanced(t *testing.T, tp redistest.Topology) {
	loser := &redistest.LoseReplies{}
	st := newTopologyStore(t, tp, loser)
	e := newEnv(t, st)
	app := netHTTPApp(e.m)

	loser.Lose(isCreateScript, 0, 1)
	b := e.newBrowser()
	rec := b.send(app, http.MethodPost, "/login?user=ada")
	require.Equal(t, 1, loser.Lost(), "the create's reply was lost")
	t.Logf("login whose reply was lost answered %d", rec.Code)
	n, err := st.Count(context.Background())
	require.NoError(t, err)
	t.Logf("sessions in Redis after the lost reply: %d", n)
	e.end(t)
}
