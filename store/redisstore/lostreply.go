package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// A write whose reply is lost (a read timeout, a reset connection) may have
// run on the server. Sending it again must not change the outcome, so each
// call that ends, creates or moves a session draws a random token, and its
// script, in the same run that does the work, leaves a marker under
// {tag}:<kind>:<token>, in the shard it works on, saying what it did. A second run with the same
// token finds the marker and answers as the first did: a retried Delete
// learns that it claimed the session and gets its record back, a retried
// Create or each step of a Renew learns that it succeeded. The marker shares
// the hash tag of the keys its script works on, so the scripts may touch it
// in Cluster, and holds a fingerprint at most, never a session ID. Writing
// it costs no round trip.
//
// When every attempt loses its reply, the call fails, and its work may or
// may not have been done. The store then remembers the token (a doubt) and,
// at the start of its next call that reaches Redis, takes the work back
// (releaseClaimScript, releaseCreateScript): the failed call did not
// happen. A claimed session thus goes back to the index, where a later
// Delete or the sweep of any instance reports it exactly once.
//
// Where the guarantee stops: a doubt lives in this process, and the marker
// it needs lives markerTTL. If the process stops, or cannot reach Redis for
// markerTTL, after a claim whose every reply was lost, the session is
// neither reported nor put back, and its Destroyed event is lost. This is
// the same window as a process that stops between a successful claim and
// firing the event. Redis cannot tell a reply that arrived from one that
// was lost, so closing the window would take a second round trip on every
// claim, to acknowledge it.

// markerTTL is how long Redis keeps a call's marker. A retry comes within
// seconds (writeAttempts runs, each bounded by the client's read timeout and
// the caller's context); the marker also has to outlast an outage between a
// call that lost every reply and the store's next call, which takes the
// work back. A claim marker holds the removed record, so the store keeps a
// session's record this long after it is deleted.
const markerTTL = 5 * time.Minute

// writeAttempts bounds how often a write is sent when its replies are lost.
const writeAttempts = 3

// retryPause is the pause before the first retry; it doubles before each
// next one, so that a connection being re-established is not hammered.
const retryPause = 10 * time.Millisecond

// maxDoubts bounds the calls whose outcome this store still has to settle.
// Past it, the oldest is forgotten (its session's event may be lost): a
// store that piles up this many is cut off from Redis, and its memory must
// not grow without bound meanwhile.
const maxDoubts = 4096

// Marker kinds, the middle of a marker's key.
const (
	claimMarker  = "claim"
	createMarker = "create"
	// renewMarker is left by a renewal's create step, in the new shard;
	// endMarker by its end step, in the old shard (the two may be one shard,
	// so their keys must differ).
	renewMarker = "renew"
	endMarker   = "renewed"
	// forgetMarker names a doubt with no marker: former keys to forget.
	forgetMarker = "forget"
	// indexMarker names a doubt with no marker: a user's index entry
	// that could not be written (see redisStore.index).
	indexMarker = "index"
)

// newToken returns a random token for one call's marker.
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (s *redisStore) markerKey(shard int, kind, token string) string {
	return s.tagKey(shard, kind+":"+token)
}

// replyLost reports whether err means that a command was sent and may have
// run but its reply did not arrive: a network error, not an answer from
// Redis. Such a command is safe to send again with the same token.
func replyLost(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, redis.ErrClosed) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // may have run, but the caller is gone: no retry
	}
	var reply redis.Error
	return !errors.As(err, &reply)
}

// inDoubt reports whether a call that failed with err may have done its
// work: its reply was lost, or the context ended while it was on its way.
func inDoubt(err error) bool {
	return replyLost(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// retry runs send until it returns something other than a lost reply, at
// most writeAttempts times, and not past ctx's deadline. It returns the last
// error, and doubtful when the call failed but may have done its work: some
// attempt lost its reply, or the context ended on the way. send must be
// idempotent: a run with the same token, or a write that sets the same
// values.
func retry(ctx context.Context, send func() error) (doubtful bool, err error) {
	pause := retryPause
	for attempt := 1; ; attempt++ {
		err = send()
		doubtful = doubtful || inDoubt(err)
		if !replyLost(err) || attempt == writeAttempts || !wait(ctx, pause) {
			return err != nil && doubtful, err
		}
		pause *= 2
	}
}

// wait pauses for d, and reports false instead when ctx ends first or its
// deadline leaves no time for another attempt.
func wait(ctx context.Context, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// doubt is a call that failed with every reply lost: its work may have
// been done. The store takes the work back at its next call.
type doubt struct {
	kind  string // claimMarker, createMarker or forgetMarker
	token string
	fp    string
	// member is the index member a claim took, when it is not fp: the
	// member of a renewal whose record was lost (see renew.go).
	member string
	// user and created name the user's index entry of an indexMarker.
	user    string
	created int64
}

// doubts holds the calls this store still has to settle. The count lets
// every call see that there is nothing to settle without taking the lock.
type doubts struct {
	n    atomic.Int64
	mu   sync.Mutex
	list []doubt
}

func (d *doubts) add(more ...doubt) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = append(d.list, more...)
	if over := len(d.list) - maxDoubts; over > 0 {
		d.list = append(d.list[:0:0], d.list[over:]...)
	}
	d.n.Store(int64(len(d.list)))
}

// take empties the list and returns what it held, so that each doubt is
// settled by one call at a time.
func (d *doubts) take() []doubt {
	d.mu.Lock()
	defer d.mu.Unlock()
	list := d.list
	d.list = nil
	d.n.Store(0)
	return list
}

// settle takes back the work of the calls in doubt (and forgets the former
// keys whose forgetting got no answer), in one pipeline, before
// a call goes on. It costs nothing while nothing is in doubt. A doubt whose
// release gets no reply stays for the next call; one that Redis answers,
// even with an error, is done: there is nothing more to learn by asking
// again. Errors are not returned: the call that runs next reports its own.
func (s *redisStore) settle(ctx context.Context) {
	if s.doubts.n.Load() == 0 {
		return
	}
	list := s.doubts.take()
	if len(list) == 0 {
		return
	}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.Cmd, len(list))
	ttl := markerTTL.Milliseconds()
	for i, d := range list {
		shard := s.shardOf(d.fp)
		keys := []string{s.markerKey(shard, d.kind, d.token), s.recordKey(d.fp), s.indexKey(shard)}
		// EVAL, not EVALSHA: a NOSCRIPT miss inside a pipeline is not
		// retried, and this path is rare enough to send the script.
		switch d.kind {
		case createMarker:
			cmds[i] = releaseCreateScript.Eval(ctx, pipe, keys, d.fp, ttl)
		case forgetMarker:
			cmds[i] = forgetScript.Eval(ctx, pipe, s.forgetKeys(d.fp), d.fp)
		case indexMarker:
			cmds[i] = indexScript.Eval(ctx, pipe, []string{s.userKey(d.user)}, d.created, d.fp, "")
		default:
			member := d.member
			if member == "" {
				member = d.fp
			}
			cmds[i] = releaseClaimScript.Eval(ctx, pipe, keys, member, s.retention.Milliseconds(), ttl)
		}
	}
	_, _ = pipe.Exec(ctx)
	var keep []doubt
	var reindex []doubt // released claims of bound sessions
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil && inDoubt(err) {
			keep = append(keep, list[i])
			continue
		}
		// A claim put back: its session goes back into its user's index.
		if res, ok := cmd.Val().([]any); ok && len(res) == 3 && list[i].kind == claimMarker {
			user, _ := res[1].(string)
			created, _ := res[2].(string)
			n, _ := parseMillis(created)
			reindex = append(reindex, doubt{kind: indexMarker, fp: list[i].fp, user: user, created: n})
		}
	}
	if len(reindex) > 0 {
		pipe := s.client.Pipeline()
		cmds := make([]*redis.Cmd, len(reindex))
		for i, d := range reindex {
			cmds[i] = indexScript.Eval(ctx, pipe, []string{s.userKey(d.user)}, d.created, d.fp, "")
		}
		_, _ = pipe.Exec(ctx)
		for i, cmd := range cmds {
			if err := cmd.Err(); err != nil && inDoubt(err) {
				keep = append(keep, reindex[i])
			}
		}
	}
	if len(keep) > 0 {
		s.doubts.add(keep...)
	}
}
