package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session/store"
)

// Sweep claims up to limit sessions whose deadline is not after now, from
// every shard, and finishes the renewals whose callers went away (see
// renew.go).
//
// Fairness: each call starts at another shard (a counter that every call
// advances, from a random start per store), and takes the due sessions from
// the shards in turn, one from each before a second from any. A shard full
// of due sessions thus never keeps the others waiting, and instances that
// sweep at the same time start in different places. Each round lists the
// due members of every shard still in play in one pipelined round, and
// claims what it took in another; a shard stays in play while its listing
// came back full, so that fewer than limit still means none were left.
//
// A session another instance claimed first is skipped, so each is returned
// by exactly one Sweep or Delete. Records that Redis already expired come
// back with their masked ID and no values.
func (s *redisStore) Sweep(ctx context.Context, now time.Time, limit int) ([]store.Entry, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if limit < 1 {
		return nil, nil
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	due := strconv.FormatInt(now.UnixMilli(), 10)
	first := int(s.sweepStart.Add(1) % uint64(s.shards))
	active := make([]int, s.shards)
	for i := range active {
		active[i] = (first + i) % s.shards
	}
	var out []store.Entry
	var unlisted error // the first shard that could not be listed
	for len(out) < limit && len(active) > 0 {
		want := limit - len(out)
		per := (want + len(active) - 1) / len(active)
		// A shard that cannot be listed (its Cluster node is down) drops
		// out of this call, and the error is returned once the others are
		// swept: one unreachable node must not starve every shard.
		lists, err := s.listDue(ctx, active, due, per)
		if err != nil && unlisted == nil {
			unlisted = err
		}
		var taken []string // round robin over the shards
		for round := 0; len(taken) < want; round++ {
			more := false
			for _, l := range lists {
				if round < len(l) && len(taken) < want {
					taken = append(taken, l[round])
					more = true
				}
			}
			if !more {
				break
			}
		}
		var next []int
		for k, l := range lists {
			if len(l) == per {
				next = append(next, active[k])
			}
		}
		if err := s.sweepTaken(ctx, taken, due, &out); err != nil {
			return out, s.fail("sweep", err)
		}
		active = next
	}
	if unlisted != nil {
		return out, s.fail("sweep", unlisted)
	}
	return out, nil
}

// listDue lists up to n due index members of each of the shards, in one
// pipelined round. A shard whose listing failed gets an empty list, and the
// first such error is returned with the lists of the others.
func (s *redisStore) listDue(ctx context.Context, shards []int, due string, n int) ([][]string, error) {
	pipe := s.client.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(shards))
	for k, shard := range shards {
		cmds[k] = pipe.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: s.indexKey(shard), ByScore: true, Start: "-inf", Stop: due, Count: int64(n),
		})
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	lists := make([][]string, len(shards))
	var failed error
	for k, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			if failed == nil {
				failed = err
			}
			continue
		}
		lists[k] = c.Val()
	}
	return lists, failed
}

// sweepTaken claims the sessions among the listed members and finishes the
// renewals among them, appending what it claimed to out.
func (s *redisStore) sweepTaken(ctx context.Context, members []string, due string, out *[]store.Entry) error {
	var fps []string
	var moves []move
	for _, m := range members {
		if mv, ok := parseMove(m); ok {
			moves = append(moves, mv)
		} else {
			fps = append(fps, m)
		}
	}
	var failed error
	if len(fps) > 0 {
		var claim func(context.Context, []string, string, *[]store.Entry) error = s.claimPipelined
		if s.replicas > 0 {
			claim = s.claimOneByOne
		}
		failed = claim(ctx, fps, due, out)
	}
	for _, mv := range moves {
		e, err := s.finishMove(ctx, mv)
		if err != nil {
			if failed == nil {
				failed = err
			}
			continue
		}
		if e != nil {
			*out = append(*out, *e)
		}
	}
	return failed
}

// claimOneByOne claims each session alone, for WithReplicaAcks: the WAIT
// behind each claim must run on the connection to its own master.
func (s *redisStore) claimOneByOne(ctx context.Context, fps []string, due string, out *[]store.Entry) error {
	var failed error
	for _, fp := range fps {
		token, err := newToken()
		if err != nil {
			return err
		}
		var res []any
		doubtful, err := retry(ctx, func() (err error) {
			res, err = s.eval(ctx, deleteScript, s.claimKeys(fp, token), fp, due, markerTTL.Milliseconds()).Slice()
			return err
		})
		switch {
		case err == nil:
			rec, _ := s.decodeReply(res, false)
			*out = append(*out, store.Entry{MaskedID: fp[:maskedLen], Record: rec})
			s.forget(ctx, formerOf(res))
			if rec.User != "" {
				s.unindex(ctx, []boundFP{{user: rec.User, fp: fp}})
			}
		case errors.Is(err, redis.Nil):
			// claimed by another caller, or touched since it was listed
		default:
			if doubtful {
				s.doubts.add(doubt{kind: claimMarker, token: token, fp: fp})
			}
			if failed == nil {
				failed = err
			}
		}
	}
	return failed
}

// claimPipelined claims the sessions in one pipeline, each under its own
// token, only if still due (a session touched since it was listed stays).
// When the pipeline loses replies (its connection failed part way), the
// claims that got none are sent again with the same tokens, so that a claim
// that ran reports its session and one that did not runs now; those still
// without a reply after writeAttempts are left in doubt, for the store's
// next call to put back.
func (s *redisStore) claimPipelined(ctx context.Context, fps []string, due string, out *[]store.Entry) error {
	// Make sure the script is loaded, so the pipeline can use EVALSHA (on a
	// Cluster, go-redis loads it on every master).
	if err := deleteScript.Load(ctx, s.client).Err(); err != nil {
		return err
	}
	tokens := make([]string, len(fps))
	for i := range tokens {
		var err error
		if tokens[i], err = newToken(); err != nil {
			return err
		}
	}
	pending := make([]int, len(fps)) // indexes into fps still without a reply
	for i := range pending {
		pending[i] = i
	}
	var former []string
	var bound []boundFP // claimed sessions to take out of their users' indexes
	var failed error    // the first error that is not a lost reply
	pause := retryPause
	for attempt := 1; len(pending) > 0; attempt++ {
		pipe := s.client.Pipeline()
		cmds := make([]*redis.Cmd, len(pending))
		for j, i := range pending {
			cmds[j] = deleteScript.EvalSha(ctx, pipe, s.claimKeys(fps[i], tokens[i]), fps[i], due, markerTTL.Milliseconds())
		}
		_, _ = pipe.Exec(ctx) // each command carries its own error
		var lost []int
		var lostErr error
		for j, i := range pending {
			res, cerr := cmds[j].Slice()
			switch {
			case cerr == nil:
				rec, _ := s.decodeReply(res, false)
				*out = append(*out, store.Entry{MaskedID: fps[i][:maskedLen], Record: rec})
				former = append(former, formerOf(res)...)
				if rec.User != "" {
					bound = append(bound, boundFP{user: rec.User, fp: fps[i]})
				}
			case errors.Is(cerr, redis.Nil):
				// claimed by another caller, or touched since it was listed
			case replyLost(cerr):
				lost, lostErr = append(lost, i), cerr
			default:
				// In doubt if this run may have gone through, or an
				// earlier one lost its reply (it is in pending again).
				if inDoubt(cerr) || attempt > 1 {
					s.doubts.add(doubt{kind: claimMarker, token: tokens[i], fp: fps[i]})
				}
				if failed == nil {
					failed = cerr
				}
			}
		}
		pending = lost
		if len(lost) > 0 && (attempt == writeAttempts || !wait(ctx, pause)) {
			for _, i := range lost {
				s.doubts.add(doubt{kind: claimMarker, token: tokens[i], fp: fps[i]})
			}
			if failed == nil {
				failed = lostErr
			}
			break
		}
		pause *= 2
	}
	s.forget(ctx, former)
	s.unindex(ctx, bound)
	return failed
}
