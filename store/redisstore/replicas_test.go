package redisstore_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// TestReplicaAcks checks WithReplicaAcks on a master with one replica:
// every write that creates, changes, renews or ends a session is on the
// replica when it returns; with the replica gone, such writes fail closed
// (store.ErrUnavailable) and are taken back, while reads still work.
func TestReplicaAcks(t *testing.T) {
	master := redistest.Start(t)
	host, port, err := net.SplitHostPort(master.Addr)
	require.NoError(t, err)
	replica := redistest.Start(t, "--replicaof", host, port)
	mc, rc := master.NewClient(t), replica.NewClient(t)
	ctx, at := t.Context(), now()
	require.Eventually(t, func() bool {
		info, err := rc.Info(ctx, "replication").Result()
		return err == nil && containsLine(info, "master_link_status:up")
	}, 10*time.Second, 20*time.Millisecond, "the replica did not sync")

	// The WAIT timeout stays under the client's read timeout (1 s).
	s := redisstore.New(mc, redisstore.WithReplicaAcks(1, 500*time.Millisecond))
	// onReplica returns the fields of the one record on the replica.
	onReplica := func() map[string]string {
		t.Helper()
		key := recordKey(t, mc, "sessionkit")
		fields, err := rc.HGetAll(ctx, key).Result()
		require.NoError(t, err)
		return fields
	}

	id, renewed := newID(t), newID(t)
	require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"user": "ada"})))
	assert.NotEmpty(t, onReplica(), "a create is on the replica when it returns")
	require.NoError(t, s.Update(ctx, id, map[string]any{"theme": "dark"}))
	assert.Contains(t, onReplica(), "vtheme", "an update is on the replica when it returns")
	require.NoError(t, s.SetUser(ctx, id, "ada"))
	assert.Equal(t, "ada", onReplica()["u"], "a binding is on the replica when it returns")
	members, err := rc.ZRange(ctx, redisstore.UserIndexKey("sessionkit", "ada"), 0, -1).Result()
	require.NoError(t, err)
	assert.Equal(t, []string{redisstore.Fingerprint(id)}, members, "and so is its user's index entry")
	require.NoError(t, s.SetExpires(ctx, id, at.Add(time.Hour)))
	assert.Equal(t, strconv.FormatInt(at.Add(time.Hour).UnixMilli(), 10), onReplica()["e"], "a new deadline is on the replica when it returns")
	require.NoError(t, s.Renew(ctx, id, renewed, at))
	fields := onReplica()
	assert.Contains(t, fields, "vtheme", "a renewal is on the replica when it returns")
	_, deleted, err := s.Delete(ctx, renewed)
	require.NoError(t, err)
	require.True(t, deleted)
	n, err := rc.DBSize(ctx).Result()
	require.NoError(t, err)
	keys, err := rc.Keys(ctx, "{sessionkit:*}:s:*").Result() // a test may scan
	require.NoError(t, err)
	assert.Empty(t, keys, "a delete is on the replica when it returns (%d keys left: markers)", n)

	// A session to sweep, and then the replica goes away.
	swept := newID(t)
	require.NoError(t, s.Create(ctx, swept, store.Record{Created: at, Accessed: at, Idle: time.Minute}))
	replica.Stop(t)
	require.Eventually(t, func() bool {
		info, err := mc.Info(ctx, "replication").Result()
		return err == nil && containsLine(info, "connected_slaves:0")
	}, 10*time.Second, 20*time.Millisecond)

	short := redisstore.New(mc, redisstore.WithReplicaAcks(1, 50*time.Millisecond))
	lone := newID(t)
	err = short.Create(ctx, lone, record(at, nil))
	require.ErrorIs(t, err, store.ErrUnavailable, "a create no replica acknowledged fails")
	_, found, err := short.Load(ctx, lone, at, true)
	require.NoError(t, err, "reads do not wait")
	assert.False(t, found, "and the failed create was taken back")
	_, err = short.Sweep(ctx, at.Add(time.Hour), 10)
	require.ErrorIs(t, err, store.ErrUnavailable, "a claim no replica acknowledged fails")
	_, err = short.Count(ctx) // its next call takes the claims back
	require.NoError(t, err)
	got, err := redisstore.New(mc).Sweep(ctx, at.Add(time.Hour), 10)
	require.NoError(t, err)
	assert.Len(t, got, 1, "and was put back, to be reported once")
}

func containsLine(text, line string) bool {
	for len(text) > 0 {
		i := 0
		for i < len(text) && text[i] != '\n' {
			i++
		}
		if l := text[:i]; l == line || l == line+"\r" {
			return true
		}
		if i == len(text) {
			break
		}
		text = text[i+1:]
	}
	return false
}
