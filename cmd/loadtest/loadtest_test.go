package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
)

// TestLoadSmoke runs the command as the README's test command does: 50
// clients for 5 s against three instances sharing a single redis-server
// that the command starts (or REDIS_URL), with no error and no lost write.
func TestLoadSmoke(t *testing.T) {
	args := []string{"-clients", "50", "-duration", "5s", "-instances", "3", "-topology", "single", "-seed", "7"}
	if url := os.Getenv(redistest.EnvURL); url != "" {
		args = append(args, "-redis", url)
	} else {
		redistest.Single.Require(t)
	}
	var out, errOut bytes.Buffer
	rep, status := runReport(t.Context(), args, &out, &errOut)
	t.Logf("loadtest %s\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
	require.NotNil(t, rep, "the run did not start")
	assert.Equal(t, exitPass, status)
	assert.Empty(t, rep.errors)
	assert.Zero(t, rep.lost, "lost writes")
	// How many requests of each kind a loaded machine gets through in 5 s
	// varies; every client logs in first, and reads are most of the rest.
	assert.GreaterOrEqual(t, rep.requests[opLogin], 50, "logins")
	assert.Positive(t, rep.requests[opRead], "reads")
	assert.Positive(t, rep.max, "latency measured")
	assert.Contains(t, out.String(), "PASS")
}

// faultyStore is a shared in-memory store that can be told to acknowledge
// updates without applying them, or to forget every session.
type faultyStore struct {
	store.Store
	dropUpdates atomic.Bool
	forget      atomic.Bool
}

func (f *faultyStore) Update(ctx context.Context, id string, changes map[string]any) error {
	if f.dropUpdates.Load() {
		return nil
	}
	return f.Store.Update(ctx, id, changes)
}

func (f *faultyStore) Load(ctx context.Context, id string, now time.Time, touch bool) (store.Record, bool, error) {
	if f.forget.Load() {
		return store.Record{}, false, nil
	}
	return f.Store.Load(ctx, id, now, touch)
}

// newTestClient starts two instances over one faulty in-memory store and
// returns a client of them, sending to each in turn.
func newTestClient(t *testing.T) (*client, *faultyStore) {
	t.Helper()
	st := &faultyStore{Store: store.NewMemory()}
	be := &backend{name: "memory", newStore: func() (store.Store, io.Closer) { return st, io.NopCloser(nil) }}
	var urls []string
	for range 2 {
		in, err := startInstance(be, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, in.stop()) })
		urls = append(urls, in.url)
	}
	cfg := config{seed: 1, balance: balanceRoundRobin, timeout: 10 * time.Second}
	return newClient(0, cfg, urls, nil, nil), st
}

// TestLedger: what the client counts as lost, stale or fine, against an
// app whose store misbehaves on purpose.
func TestLedger(t *testing.T) {
	tests := []struct {
		name    string
		script  func(c *client, st *faultyStore)
		checked int
		lost    int
		errors  map[string]int
	}{{
		name: "acknowledged writes read back, the last one per key",
		script: func(c *client, _ *faultyStore) {
			c.login()
			c.write("k0")
			c.write("k1")
			c.write("k0")
			c.read("k0")
		},
		checked: 2,
	}, {
		name: "a renewal keeps the values",
		script: func(c *client, _ *faultyStore) {
			c.login()
			c.write("k0")
			c.login()
		},
		checked: 1,
	}, {
		name: "writes acknowledged and dropped are lost",
		script: func(c *client, st *faultyStore) {
			c.login()
			c.write("k0")
			st.dropUpdates.Store(true)
			c.write("k0")
			c.write("k1")
		},
		checked: 2,
		lost:    2,
	}, {
		name: "a read of an older value is stale and a lost write",
		script: func(c *client, st *faultyStore) {
			c.login()
			st.dropUpdates.Store(true)
			c.write("k0")
			c.read("k0")
		},
		lost:   1,
		errors: map[string]int{"read: 404: stale value": 1},
	}, {
		name: "a session the app forgets loses its values",
		script: func(c *client, st *faultyStore) {
			c.login()
			c.write("k0")
			c.write("k1")
			st.forget.Store(true)
			c.read("k2")
		},
		lost:   2,
		errors: map[string]int{"read: 401: session lost": 1},
	}, {
		name: "the client's own logout loses nothing",
		script: func(c *client, st *faultyStore) {
			c.login()
			c.write("k0")
			st.dropUpdates.Store(true)
			c.write("k1")
			c.logout()
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, st := newTestClient(t)
			tt.script(c, st)
			c.verify()
			assert.Equal(t, tt.checked, c.stats.checked, "checked")
			assert.Equal(t, tt.lost, c.stats.lostWrites, "lost")
			want := tt.errors
			if want == nil {
				want = map[string]int{}
			}
			assert.Equal(t, want, c.stats.errors)
		})
	}
}

// TestFailoverWindow: failures from the kill until the takeover plus the
// grace are the failover's, and so are writes acknowledged up to a second
// before the kill; all else is not.
func TestFailoverWindow(t *testing.T) {
	kill := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ongoing := &failover{grace: 5 * time.Second}
	ongoing.killedAt.Store(kill.UnixNano())
	over := &failover{grace: 5 * time.Second}
	over.killedAt.Store(kill.UnixNano())
	over.recoveredAt.Store(kill.Add(2 * time.Second).UnixNano())
	tests := []struct {
		name  string
		f     *failover
		t     time.Time
		slack time.Duration
		want  bool
	}{
		{name: "no failover", f: nil, t: kill, want: false},
		{name: "before the kill", f: ongoing, t: kill.Add(-time.Millisecond), want: false},
		{name: "before the kill, within the slack", f: ongoing, t: kill.Add(-time.Millisecond), slack: time.Second, want: true},
		{name: "at the kill", f: ongoing, t: kill, want: true},
		{name: "long after, not yet recovered", f: ongoing, t: kill.Add(time.Hour), want: true},
		{name: "within the grace", f: over, t: kill.Add(7 * time.Second), want: true},
		{name: "after the grace", f: over, t: kill.Add(7*time.Second + time.Millisecond), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.f.covers(tt.t, tt.slack))
		})
	}
	t.Run("a request sent before the kill and answered after it", func(t *testing.T) {
		assert.True(t, over.overlaps(kill.Add(-time.Second), kill.Add(time.Millisecond), 0))
	})
	t.Run("a request sent and answered before the kill", func(t *testing.T) {
		assert.False(t, over.overlaps(kill.Add(-time.Second), kill.Add(-time.Millisecond), 0))
	})
	t.Run("a request sent within the grace and answered after it", func(t *testing.T) {
		assert.True(t, over.overlaps(kill.Add(7*time.Second), kill.Add(time.Minute), 0))
	})
}

// TestLossesInAFailoverAreCountedApart: a session lost during a declared
// failover is the failover's, not an error of the run.
func TestLossesInAFailoverAreCountedApart(t *testing.T) {
	c, st := newTestClient(t)
	window := &failover{grace: time.Second}
	c.stats.window = window
	window.killedAt.Store(time.Now().UnixNano()) // and not recovered
	c.login()
	c.write("k0")
	c.write("k1")
	st.forget.Store(true)
	c.read("k0")
	c.verify()
	assert.Empty(t, c.stats.errors)
	assert.Equal(t, map[string]int{"read: 401: session lost": 1}, c.stats.failoverErrors)
	assert.Equal(t, 2, c.stats.failoverLost)
	assert.Zero(t, c.stats.lostWrites)
}

// TestVerdict: a run passes only without errors and without lost writes.
func TestVerdict(t *testing.T) {
	tests := []struct {
		name   string
		errors map[string]int
		lost   int
		passed bool
	}{
		{name: "clean", errors: map[string]int{}, passed: true},
		{name: "an error", errors: map[string]int{"read: 503": 1}},
		{name: "a lost write", errors: map[string]int{}, lost: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &report{errors: tt.errors, lost: tt.lost}
			assert.Equal(t, tt.passed, rep.passed())
			var out bytes.Buffer
			rep.print(&out)
			verdict := "FAIL"
			if tt.passed {
				verdict = "PASS"
			}
			assert.True(t, strings.HasSuffix(out.String(), verdict+"\n"), out.String())
		})
	}
}

// TestBadFlagsExitBeforeStarting: flags that make no run exit with the
// setup status, before any Redis or instance starts.
func TestBadFlagsExitBeforeStarting(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no clients", args: []string{"-clients", "0"}, want: "-clients"},
		{name: "no time", args: []string{"-duration", "0s"}, want: "-duration"},
		{name: "no instances", args: []string{"-instances", "0"}, want: "-instances"},
		{name: "unknown topology", args: []string{"-topology", "ring"}, want: "-topology"},
		{name: "unknown balance", args: []string{"-balance", "sticky"}, want: "-balance"},
		{name: "stray argument", args: []string{"now"}, want: "unexpected"},
		{name: "unknown flag", args: []string{"-users", "5"}, want: "-users"},
		{name: "failover on a single server", args: []string{"-failover", "1s"}, want: "no replica"},
		{name: "failover on a given Redis", args: []string{"-topology", "sentinel", "-redis", "127.0.0.1:1", "-failover", "1s"}, want: "no -redis"},
		{name: "failover after the end", args: []string{"-topology", "cluster", "-duration", "5s", "-failover", "5s"}, want: "before the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			assert.Equal(t, exitSetup, run(t.Context(), tt.args, &out, &errOut))
			assert.Contains(t, errOut.String(), tt.want)
			assert.Empty(t, out.String())
		})
	}
}

// TestPercentile: nearest rank, so that p99 of 100 samples is the 99th.
func TestPercentile(t *testing.T) {
	ms := func(n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = time.Duration(i+1) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       int
		want    time.Duration
	}{
		{name: "one sample", samples: ms(1), p: 99, want: time.Millisecond},
		{name: "median of 100", samples: ms(100), p: 50, want: 50 * time.Millisecond},
		{name: "p99 of 100", samples: ms(100), p: 99, want: 99 * time.Millisecond},
		{name: "p99 of 1000", samples: ms(1000), p: 99, want: 990 * time.Millisecond},
		{name: "p99 of 10 is the max", samples: ms(10), p: 99, want: 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, percentile(tt.samples, tt.p))
		})
	}
}
