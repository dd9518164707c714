package pgstore

import (
	"context"
	"sync"
)

// A claim (of a sweep or a delete) whose every attempt failed may or may
// not have run: its reply was lost, or the caller's context ended while it
// was in flight. The call fails, so nobody reports the rows it may hold;
// left alone, they would stay claimed (passed by as gone) until the sweep
// deletes them as stale, unreported, and their Destroyed would be lost.
// The store remembers such a claim's token instead, and its next sweep or
// delete takes the claim back: the failed call did not happen, and the
// session is reported exactly once later, by whichever call claims it
// again. This is the Redis store's way (see its doubts).
//
// Where the guarantee stops: the tokens live in this process. If it stops,
// or cannot reach PostgreSQL for the claim grace (see claimGrace), after a
// claim whose every reply was lost, the session is deleted unreported, as
// when a process stops between claiming and reporting. Nor can it take back
// a claim that PostgreSQL runs only after the release: a statement whose
// caller gave up while it waited for a row lock is still run by its server
// process, which notices the lost client only when it answers.

// maxDoubts bounds the claims this store still has to take back, so that a
// store cut off from PostgreSQL does not grow without bound; past it, the
// oldest is forgotten.
const maxDoubts = 4096

// doubts are the tokens of claims that may have run unreported.
type doubts struct {
	mu     sync.Mutex
	tokens [][]byte
}

// add remembers the token of a claim whose outcome is unknown.
func (d *doubts) add(token []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.tokens) >= maxDoubts {
		d.tokens = d.tokens[1:]
	}
	d.tokens = append(d.tokens, token)
}

// release takes back the claims of the remembered tokens, in one statement,
// and forgets the tokens once it ran. A release that fails keeps them for
// the next call.
func (s *pgStore) release(ctx context.Context) {
	s.doubts.mu.Lock()
	tokens := s.doubts.tokens
	s.doubts.tokens = nil
	s.doubts.mu.Unlock()
	if len(tokens) == 0 {
		return
	}
	_, err := s.pool.Exec(ctx, `UPDATE `+s.t.sessions+` SET claim = NULL, claimed = NULL WHERE claim = ANY($1::bytea[])`, tokens)
	if err != nil {
		for _, t := range tokens {
			s.doubts.add(t)
		}
	}
}
