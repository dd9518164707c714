package store

import (
	"encoding/base64"
	"hash/maphash"
	"sync"
)

// maskedKey is a masked ID (see [MaskedID]) as a fixed-size value, so that
// a binding and an index entry hold it without an allocation of its own.
type maskedKey [12]byte

// maskedKeyOf returns the masked ID of the session ID id.
func maskedKeyOf(id string) maskedKey {
	fp := Fingerprint(id)
	var k maskedKey
	base64.RawURLEncoding.Encode(k[:], fp[:maskedBytes])
	return k
}

// parseMaskedKey returns s as a maskedKey, or false when s cannot be a
// masked ID (it has the wrong length).
func parseMaskedKey(s string) (maskedKey, bool) {
	var k maskedKey
	if len(s) != len(k) {
		return k, false
	}
	copy(k[:], s)
	return k, true
}

// binding is the user a memory session is bound to, with the session's
// masked ID, which keys it in the user's index. It never changes: SetUser
// and Renew replace it. 32 bytes.
type binding struct {
	user   string
	masked maskedKey
}

// userShard holds the index of the users whose names hash to it. A user is
// in it only while bound to at least one session.
type userShard struct {
	mu    sync.Mutex
	users map[string]userSessions
}

// fewSessions is how many sessions a user's index keeps in a slice, which
// costs 32 bytes a session where a map costs about ten times that for one
// session; past it, a map keeps lookups O(1) for a user with very many
// sessions. Back under half of it, the map becomes a slice again.
const fewSessions = 16

// userSessions is one user's bound sessions, by masked ID: in few while
// there are at most fewSessions of them, else in many. Masked IDs are 72
// bits of a SHA-256, so two sessions of one user never share one in
// practice; if they did, the later binding would hide the earlier from
// UserSessions until it ended, and neither would be unlisted by the other.
type userSessions struct {
	few  []indexedSession
	many map[maskedKey]string
}

type indexedSession struct {
	masked maskedKey
	id     string
}

func (us *userSessions) len() int {
	if us.many != nil {
		return len(us.many)
	}
	return len(us.few)
}

func (us *userSessions) lookup(k maskedKey) (id string, ok bool) {
	if us.many != nil {
		id, ok = us.many[k]
		return id, ok
	}
	for _, s := range us.few {
		if s.masked == k {
			return s.id, true
		}
	}
	return "", false
}

func (us *userSessions) add(k maskedKey, id string) {
	if us.many != nil {
		us.many[k] = id
		return
	}
	for i := range us.few {
		if us.few[i].masked == k {
			us.few[i].id = id
			return
		}
	}
	if len(us.few) < fewSessions {
		us.few = append(us.few, indexedSession{masked: k, id: id})
		return
	}
	us.many = make(map[maskedKey]string, 2*fewSessions)
	for _, s := range us.few {
		us.many[s.masked] = s.id
	}
	us.many[k] = id
	us.few = nil
}

// remove takes the session e out from under k, if k names e (and not
// another session that took k over).
func (us *userSessions) remove(k maskedKey, e *memoryEntry) {
	if us.many != nil {
		if id, ok := us.many[k]; !ok || !e.hasID(id) {
			return
		}
		delete(us.many, k)
		if len(us.many) <= fewSessions/2 {
			us.few = make([]indexedSession, 0, len(us.many))
			for masked, id := range us.many {
				us.few = append(us.few, indexedSession{masked: masked, id: id})
			}
			us.many = nil
		}
		return
	}
	for i := range us.few {
		if us.few[i].masked == k && e.hasID(us.few[i].id) {
			last := len(us.few) - 1
			us.few[i] = us.few[last]
			us.few[last] = indexedSession{} // let the ID string be collected
			us.few = us.few[:last]
			return
		}
	}
}

// each calls f for every session of us.
func (us *userSessions) each(f func(k maskedKey, id string)) {
	if us.many != nil {
		for k, id := range us.many {
			f(k, id)
		}
		return
	}
	for _, s := range us.few {
		f(s.masked, s.id)
	}
}

func (m *memory) userShard(user string) *userShard {
	return &m.users[maphash.String(m.seed, user)&(shardCount-1)]
}

// index lists the session id under its binding b; nil b lists nothing. The
// caller holds the write lock of id's shard, so that the index and the entry
// change together.
func (m *memory) index(b *binding, id string) {
	if b == nil {
		return
	}
	u := m.userShard(b.user)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.users == nil {
		u.users = make(map[string]userSessions)
	}
	us := u.users[b.user]
	us.add(b.masked, id)
	u.users[b.user] = us
}

// unindex takes the session e out of its user's index; nil b does nothing.
// A user left with no sessions leaves the index. The caller holds the write
// lock of e's shard.
func (m *memory) unindex(b *binding, e *memoryEntry) {
	if b == nil {
		return
	}
	u := m.userShard(b.user)
	u.mu.Lock()
	defer u.mu.Unlock()
	us, ok := u.users[b.user]
	if !ok {
		return
	}
	us.remove(b.masked, e)
	if us.len() == 0 {
		delete(u.users, b.user)
		return
	}
	u.users[b.user] = us
}
