package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
)

// A read is the request every session pays, so its round trip is built to
// allocate little: go-redis's generic reply parser costs two allocations per
// string of an array reply, which made the reply of a record with a user and
// one value (twelve strings in two arrays) the largest cost of a read. The
// load script therefore answers one string that packs the touched flag and
// the record's fields, parsed here without copying but for what the record
// keeps; and the command is built here in one slice, with the arguments that
// never change boxed once, rather than through redis.Script, which copies
// keys and arguments into a slice of its own. Nothing stored changes: the
// record is the same hash, written by the same scripts.

// loadSHA is the load script's digest, boxed once as a command argument.
var loadSHA any = loadScript.Hash()

// touchArgs are the load script's touch argument, boxed once.
var touchArgs = [2]any{"0", "1"}

// loadConsts are the load script's arguments that depend on the options
// only: retention, granularity and its cap, boxed once for every read.
type loadConsts struct {
	retention, granularity, granularityCap any
}

func (s *redisStore) newLoadConsts() loadConsts {
	granularity := int64(-1)
	if s.granularity >= 0 {
		granularity = s.granularity.Milliseconds()
	}
	return loadConsts{
		retention:      s.retention.Milliseconds(),
		granularity:    granularity,
		granularityCap: maxGranularity.Milliseconds(),
	}
}

// fingerprintKey returns the record key of id and its fingerprint, which is
// the key's tail: one allocation for both, where fingerprint and recordKey
// make four.
func (s *redisStore) fingerprintKey(id string) (key, fp string) {
	var in [64]byte
	sum := sha256.Sum256(append(in[:0], id...))
	var enc [43]byte // base64.RawURLEncoding.EncodedLen(sha256.Size)
	base64.RawURLEncoding.Encode(enc[:], sum[:])
	shard := s.shardOf(string(enc[:8]))
	tag := s.tags[shard]
	var b strings.Builder
	b.Grow(len(tag) + len("{}:s:") + len(enc))
	b.WriteByte('{')
	b.WriteString(tag)
	b.WriteString("}:s:")
	b.Write(enc[:])
	key = b.String()
	return key, key[len(key)-len(enc):]
}

// runLoad runs the load script on key, the record of fp, and returns its
// packed reply (see packReply); redis.Nil when there is no record. It is
// what loadScript.Run would send, EVALSHA and on a NOSCRIPT reply EVAL.
func (s *redisStore) runLoad(ctx context.Context, key, fp string, nowMillis int64, touch bool) (string, error) {
	touchArg := touchArgs[0]
	if touch {
		touchArg = touchArgs[1]
	}
	args := []any{"evalsha", loadSHA, 2, key, s.indexArgs[s.shardOf(fp)],
		nowMillis, touchArg, s.loadConsts.retention, s.loadConsts.granularity, s.loadConsts.granularityCap}
	cmd := redis.NewCmd(ctx, args...)
	cmd.SetFirstKeyPos(3)
	_ = s.client.Process(ctx, cmd)
	if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		args[0], args[1] = "eval", loadSource
		cmd = redis.NewCmd(ctx, args...)
		cmd.SetFirstKeyPos(3)
		_ = s.client.Process(ctx, cmd)
	}
	return cmd.Text()
}

// luaPack is the Lua side of packReply.
const luaPack = `
local function pack(touched, h)
  local t = {touched}
  for k = 1, #h do t[k + 1] = #h[k] .. ':' .. h[k] end
  return table.concat(t)
end
`

// decodeLoadReply decodes the load script's packed reply: "0" or "1" (the
// record was touched), then each field name and value of the record's hash
// in turn, as its length in decimal, a colon and its bytes. The record keeps
// copies of what it holds (values and user), not substrings of the reply,
// so that a value kept after the request does not keep the whole reply in
// memory.
func (s *redisStore) decodeLoadReply(reply string) (rec store.Record, touched bool, err error) {
	if reply == "" || (reply[0] != '0' && reply[0] != '1') {
		return store.Record{}, false, errBadReply
	}
	touched = reply[0] == '1'
	d := recordDecoder{s: s, strict: true, clone: true}
	rest := reply[1:]
	for rest != "" {
		var name, value string
		if name, rest, err = nextPacked(rest); err != nil {
			return store.Record{}, false, err
		}
		if value, rest, err = nextPacked(rest); err != nil {
			return store.Record{}, false, err
		}
		if err := d.field(name, value); err != nil {
			return store.Record{}, false, err
		}
	}
	rec, err = d.done()
	return rec, touched, err
}

// nextPacked splits the first length-prefixed string off packed.
func nextPacked(packed string) (s, rest string, err error) {
	colon := strings.IndexByte(packed, ':')
	if colon <= 0 || colon > 10 {
		return "", "", errBadReply
	}
	n := 0
	for _, c := range []byte(packed[:colon]) {
		if c < '0' || c > '9' {
			return "", "", errBadReply
		}
		n = n*10 + int(c-'0')
	}
	if n > len(packed)-colon-1 {
		return "", "", errBadReply
	}
	end := colon + 1 + n
	return packed[colon+1 : end], packed[end:], nil
}

var errBadReply = errors.New("unexpected script reply")
