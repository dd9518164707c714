package store

import (
	"encoding/base64"
	"hash/maphash"
	"iter"
)

// A shard finds its sessions by a 64-bit hash of the ID, and each entry
// keeps its own ID, decoded to 32 bytes when it has the manager's form.
// Keyed by the ID string, the shard's map held a 16-byte string header in
// each slot and kept the caller's ID string alive (a 48-byte allocation):
// about 100 bytes a session at a million sessions, where a uint64 key
// costs about 36 and the decoded ID 32 bytes of the entry.

// rawIDBytes is the size of a decoded session ID of the manager's form: 43
// characters of unpadded base64url.
const rawIDBytes = 32

// parsedID is a session ID as a shard looks it up: decoded when it has the
// manager's form (canonical), and hashed with the store's seed.
type parsedID struct {
	id        string
	raw       [rawIDBytes]byte
	canonical bool
	hash      uint64
}

// base64URLValue maps each byte to its base64url value, or 0xFF for bytes
// outside the alphabet.
var base64URLValue = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range t {
		t[i] = 0xFF
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeID decodes id when it is 43 base64url characters encoding 32 bytes
// canonically (the last character's two low bits zero), the manager's
// form; any other ID reports false. It allocates nothing: base64's decoder
// takes a []byte, and converting the ID to one would.
func decodeID(id string) (raw [rawIDBytes]byte, ok bool) {
	const idChars = 43
	if len(id) != idChars {
		return raw, false
	}
	var bad byte
	// Ten groups of four characters make 30 bytes; the last three
	// characters make two bytes and two zero bits.
	for g := range 10 {
		a, b, c, d := base64URLValue[id[4*g]], base64URLValue[id[4*g+1]], base64URLValue[id[4*g+2]], base64URLValue[id[4*g+3]]
		bad |= a | b | c | d
		raw[3*g] = a<<2 | b>>4
		raw[3*g+1] = b<<4 | c>>2
		raw[3*g+2] = c<<6 | d
	}
	a, b, c := base64URLValue[id[40]], base64URLValue[id[41]], base64URLValue[id[42]]
	bad |= a | b | c
	raw[30] = a<<2 | b>>4
	raw[31] = b<<4 | c>>2
	if bad&0xC0 != 0 || c&0b11 != 0 {
		return raw, false
	}
	return raw, true
}

// parse returns id as the shards look it up.
func (m *memory) parse(id string) parsedID {
	p := parsedID{id: id}
	p.raw, p.canonical = decodeID(id)
	if p.canonical {
		p.hash = maphash.Bytes(m.seed, p.raw[:])
	} else {
		p.hash = maphash.String(m.seed, id)
	}
	return p
}

// keyOf returns the hash that e's shard files it under, as parse gave it.
func (m *memory) keyOf(e *memoryEntry) uint64 {
	if e.idInRare {
		return maphash.String(m.seed, e.rare.id)
	}
	return maphash.Bytes(m.seed, e.rawID[:])
}

// setID gives the entry e, not yet published, the ID p.
func (e *memoryEntry) setID(p parsedID) {
	if p.canonical {
		e.rawID = p.raw
		return
	}
	e.idInRare = true
	e.editRare(func(r *entryRare) { r.id = p.id })
}

// id returns e's session ID. For an ID of the manager's form it encodes
// one, an allocation: callers ask for it after a shard's lock is let go.
func (e *memoryEntry) id() string {
	if e.idInRare {
		return e.rare.id
	}
	return base64.RawURLEncoding.EncodeToString(e.rawID[:])
}

// is reports whether e's ID is p.
func (e *memoryEntry) is(p parsedID) bool {
	if p.canonical {
		return !e.idInRare && e.rawID == p.raw
	}
	return e.idInRare && e.rare.id == p.id
}

// hasID reports whether e's ID is id, without hashing it.
func (e *memoryEntry) hasID(id string) bool {
	if raw, ok := decodeID(id); ok {
		return !e.idInRare && e.rawID == raw
	}
	return e.idInRare && e.rare.id == id
}

// lookup returns the entry (live or a tombstone) of p in s, or nil. The
// caller holds s.mu.
func (s *memoryShard) lookup(p parsedID) *memoryEntry {
	if e := s.entries[p.hash]; e != nil && e.is(p) {
		return e
	}
	if s.collided != nil {
		return s.collided[p.id]
	}
	return nil
}

// insert files e under p, which no entry of s has. Two IDs whose hashes
// agree (one pair in about 2^64) share nothing: the later goes to
// collided, keyed by its ID string. The caller holds s.mu for writing.
func (s *memoryShard) insert(p parsedID, e *memoryEntry) {
	if _, taken := s.entries[p.hash]; !taken {
		s.entries[p.hash] = e
		return
	}
	if s.collided == nil {
		s.collided = make(map[string]*memoryEntry)
	}
	s.collided[p.id] = e
}

// delete takes e, filed under key, out of s and marks it gone, so that its
// filings in s.due are dropped. The caller holds s.mu for writing.
func (s *memoryShard) delete(e *memoryEntry, key uint64) {
	e.gone = true
	if s.entries[key] == e {
		delete(s.entries, key)
		return
	}
	for id, c := range s.collided {
		if c == e {
			delete(s.collided, id)
		}
	}
	if len(s.collided) == 0 {
		s.collided = nil
	}
}

// len returns how many entries (tombstones included) s holds.
func (s *memoryShard) len() int { return len(s.entries) + len(s.collided) }

// all yields every entry of s with its ID. The caller holds s.mu.
func (s *memoryShard) all() iter.Seq2[string, *memoryEntry] {
	return func(yield func(string, *memoryEntry) bool) {
		for _, e := range s.entries {
			if !yield(e.id(), e) {
				return
			}
		}
		for id, e := range s.collided {
			if !yield(id, e) {
				return
			}
		}
	}
}
