package redisstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/store/redisstore"
)

// TestUpdateOnServerWithoutScripts checks that an update reaches a server
// that has lost its scripts, as one restarted or newly promoted has: the
// store sends the update as one command of its own (not through
// Script.Run), so it must send the script's source when the server answers
// NOSCRIPT, and on a Cluster route it by the record's key.
func TestUpdateOnServerWithoutScripts(t *testing.T) {
	for _, tp := range []redistest.Topology{redistest.Single, redistest.ClusterSet} {
		t.Run(tp.Name, func(t *testing.T) {
			client := tp.Start(t).NewUniversalClient() // private: the test flushes its scripts
			t.Cleanup(func() { _ = client.Close() })
			s := redisstore.New(client, redisstore.WithPrefix(redistest.Prefix()))
			ctx, at := t.Context(), now()
			id := newID(t)
			require.NoError(t, s.Create(ctx, id, record(at, map[string]any{"key": "login"})))
			require.NoError(t, s.Update(ctx, id, map[string]any{"n": 1}))
			require.NoError(t, client.ScriptFlush(ctx).Err())

			require.NoError(t, s.Update(ctx, id, map[string]any{"n": 2, "key": nil}), "the update after the scripts were flushed")
			require.NoError(t, s.Update(ctx, id, map[string]any{"n": 3}), "the update after the server got the script back")
			got, ok, err := s.Load(ctx, id, at, false)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, map[string]any{"n": 3}, got.Values)
		})
	}
}
