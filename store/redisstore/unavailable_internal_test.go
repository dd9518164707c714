package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
)

// replyError is an error reply from Redis, as go-redis hands it back.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

var _ redis.Error = replyError("")

// TestIsUnavailable checks which Redis failures the manager answers with
// 503 (store.ErrUnavailable): Redis could not be reached or cannot serve
// right now, as during a failover; a reply that says the command itself is
// wrong is a 500.
func TestIsUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"network error", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"connection cut mid-reply", io.ErrUnexpectedEOF, true},
		{"client closed", redis.ErrClosed, true},
		{"pool exhausted", redis.ErrPoolTimeout, true},
		{"loading", replyError("LOADING Redis is loading the dataset in memory"), true},
		{"replica promoted", replyError("READONLY You can't write against a read only replica."), true},
		{"cluster down", replyError("CLUSTERDOWN The cluster is down"), true},
		{"moved, redirects given up", replyError("MOVED 3999 127.0.0.1:6381"), true},
		{"ask, redirects given up", replyError("ASK 3999 127.0.0.1:6381"), true},
		{"try again", replyError("TRYAGAIN Multiple keys request during rehashing of slot"), true},
		{"script error", replyError("ERR user_script:1: Script attempted to access nonexistent global variable"), false},
		{"wrong type", replyError("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{"cancelled by the caller", context.Canceled, false},
		{"no answer in time", fmt.Errorf("eval: %w", context.DeadlineExceeded), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, isUnavailable(tc.err))
		})
	}
}
