package redisstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
)

// A write is the second round trip of every request that changes its
// session, after the read, so it is built the way the read is: one SHA-256
// of the ID, the record's two keys in one string, and the whole EVALSHA in
// one argument slice whose constant parts are boxed once. go-redis's
// Script.Run would copy the arguments into a slice of its own and box each
// key again; fingerprint, recordKey and formerKey would hash the ID and make
// five strings (issue 12).

// updateSHA is updateScript's hash, boxed once: a string boxed on each call
// would be one more allocation of every write.
var updateSHA any = updateScript.Hash()

// updateHead is how many arguments of an update command come before the
// changed fields: EVALSHA, the hash, the number of keys, the record key, its
// former key, and the number of fields to delete.
const updateHead = 6

// sessionKeys returns the record key of id and its former key (see
// formerKey), two slices of one string: one allocation, where recordKey and
// formerKey make four.
func (s *redisStore) sessionKeys(id string) (record, former string) {
	fp, tag := s.fingerprintTag(id)
	var b strings.Builder
	b.Grow(2 * (len(tag) + len("{}:s:") + len(fp)))
	for _, kind := range [2]string{"}:s:", "}:r:"} {
		b.WriteByte('{')
		b.WriteString(tag)
		b.WriteString(kind)
		b.Write(fp[:])
	}
	both := b.String()
	return both[:len(both)/2], both[len(both)/2:]
}

// updateCommand returns the arguments of the EVALSHA of updateScript that
// applies changes to the session of id: the keys, then the number of fields
// to delete, those fields, then field and value pairs to set, each group in
// the order of the session keys, so that a session's fields are written in
// a stable order.
func (s *redisStore) updateCommand(id string, changes map[string]any) ([]any, error) {
	var one [1]string
	keys := one[:0]
	if len(changes) == 1 {
		for k := range changes {
			keys = append(keys, k) // the common write: nothing to sort
		}
	} else {
		keys = slices.Sorted(maps.Keys(changes))
	}
	record, former := s.sessionKeys(id)
	args := make([]any, updateHead, updateHead+2*len(keys))
	args[0], args[1], args[2], args[3], args[4] = "evalsha", updateSHA, 2, record, former
	for _, k := range keys {
		if changes[k] == nil {
			args = append(args, "v"+k)
		}
	}
	args[5] = len(args) - updateHead
	for _, k := range keys {
		v := changes[k]
		if v == nil {
			continue
		}
		b, err := s.form.Encode(k, v)
		if err != nil {
			return nil, fmt.Errorf("redisstore: update: value of key %q (%T): %w", k, v, err)
		}
		args = append(args, "v"+k, b)
	}
	return args, nil
}

// runUpdate sends an update command and returns updateScript's reply. A
// server that lacks the script gets its source, as Script.Run sends it. With
// WithReplicaAcks the command goes through eval, which sends WAIT behind it.
func (s *redisStore) runUpdate(ctx context.Context, args []any) (int, error) {
	if s.replicas > 0 {
		keys := []string{args[3].(string), args[4].(string)}
		return s.eval(ctx, updateScript, keys, args[5:]...).Int()
	}
	cmd := redis.NewCmd(ctx, args...)
	cmd.SetFirstKeyPos(3) // Cluster routes the command by its first key
	_ = s.client.Process(ctx, cmd)
	if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		eval := slices.Clone(args) // args stays an EVALSHA, for a retry
		eval[0], eval[1] = "eval", updateSource
		cmd = redis.NewCmd(ctx, eval...)
		cmd.SetFirstKeyPos(3)
		_ = s.client.Process(ctx, cmd)
	}
	return cmd.Int()
}
