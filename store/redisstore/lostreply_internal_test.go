package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// lost is a lost reply, as a read timeout reports it.
type lost struct{}

func (lost) Error() string   { return "i/o timeout" }
func (lost) Timeout() bool   { return true }
func (lost) Temporary() bool { return true }

// TestRetryHonoursContext checks that a write whose replies are lost is sent
// again only while the caller's context allows: not once it is cancelled,
// and not when its deadline leaves no time for the pause before a retry.
func TestRetryHonoursContext(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	soon, stop := context.WithDeadline(t.Context(), time.Now().Add(retryPause/2))
	defer stop()
	tests := []struct {
		name string
		ctx  context.Context
		want int
	}{
		{"no deadline: every attempt", t.Context(), writeAttempts},
		{"cancelled", cancelled, 1},
		{"deadline before the pause ends", soon, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := 0
			doubtful, err := retry(tc.ctx, func() error { sent++; return lost{} })
			assert.Equal(t, tc.want, sent)
			assert.ErrorIs(t, err, lost{})
			assert.True(t, doubtful, "a lost reply leaves the call in doubt")
		})
	}
}

// answer is an error reply from Redis.
type answer string

func (a answer) Error() string { return string(a) }
func (answer) RedisError()     {}

// TestRetryStopsAtAnAnswer checks that only lost replies are retried, and
// that a call whose first reply was lost stays in doubt whatever a later
// attempt answered.
func TestRetryStopsAtAnAnswer(t *testing.T) {
	tests := []struct {
		name         string
		replies      []error
		wantSent     int
		wantDoubtful bool
	}{
		{"success", []error{nil}, 1, false},
		{"an error reply", []error{answer("ERR refused")}, 1, false},
		{"lost, then success", []error{lost{}, nil}, 2, false},
		{"lost, then an error reply", []error{lost{}, answer("LOADING")}, 2, true},
		{"lost, then the context ended", []error{lost{}, context.DeadlineExceeded}, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := 0
			doubtful, err := retry(t.Context(), func() error { sent++; return tc.replies[sent-1] })
			assert.Equal(t, tc.wantSent, sent)
			assert.Equal(t, tc.replies[len(tc.replies)-1], err)
			assert.Equal(t, tc.wantDoubtful, doubtful)
		})
	}
}
