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
//
// A lookup hashes the ID as given and compares it with the entry's by
// encoding the entry's, two characters a table lookup: decoding the ID
// given instead took twice as long, and a read pays for it every time.

// rawIDBytes is the size of a decoded session ID of the manager's form: 43
// characters of unpadded base64url.
const rawIDBytes = 32

// parsedID is a session ID as a shard looks it up: hashed with the store's
// seed.
type parsedID struct {
	id   string
	hash uint64
}

// base64URLAlphabet is the alphabet of session IDs of the manager's form.
const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// base64URLPairs maps 12 bits to the two base64url characters that encode
// them, the first in the low byte.
var base64URLPairs = func() (t [1 << 12]uint16) {
	for i := range t {
		t[i] = uint16(base64URLAlphabet[i>>6]) | uint16(base64URLAlphabet[i&63])<<8
	}
	return t
}()

// encodesTo reports whether raw encodes to id in unpadded base64url, as
// base64.RawURLEncoding would, without building the encoding.
func encodesTo(raw *[rawIDBytes]byte, id string) bool {
	const idChars = 43
	if len(id) != idChars {
		return false
	}
	// Ten groups of three bytes make 40 characters; the last two bytes make
	// three.
	for g := range 10 {
		r := raw[3*g:][:3]
		n := uint32(r[0])<<16 | uint32(r[1])<<8 | uint32(r[2])
		q := id[4*g:][:4]
		if uint16(q[0])|uint16(q[1])<<8 != base64URLPairs[n>>12] || uint16(q[2])|uint16(q[3])<<8 != base64URLPairs[n&0xFFF] {
			return false
		}
	}
	n := uint32(raw[30])<<16 | uint32(raw[31])<<8
	q := id[40:][:3]
	return uint16(q[0])|uint16(q[1])<<8 == base64URLPairs[n>>12] && q[2] == base64URLAlphabet[n>>6&63]
}

// base64URLValue maps each byte to its base64url value, or 0xFF for bytes
// outside the alphabet.
var base64URLValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := range len(base64URLAlphabet) {
		t[base64URLAlphabet[i]] = byte(i)
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
	return parsedID{id: id, hash: maphash.String(m.seed, id)}
}

// keyOf returns the hash that e's shard files it under, as parse gave it,
// without allocating: it is asked under the shard's lock.
func (m *memory) keyOf(e *memoryEntry) uint64 {
	if e.idInRare {
		return maphash.String(m.seed, e.rareID())
	}
	var id [43]byte
	base64.RawURLEncoding.Encode(id[:], e.rawID[:])
	return maphash.Bytes(m.seed, id[:]) // as maphash.String of the same bytes
}

// setID gives the entry e, not yet published, the ID p.
func (e *memoryEntry) setID(p parsedID) {
	if raw, ok := decodeID(p.id); ok {
		e.rawID = raw
		return
	}
	e.idInRare = true
	e.editRare(func(r *entryRare) { r.id = p.id })
}

// rareID returns the ID kept in e's rare part: "" when e has none (an
// empty ID leaves nothing to keep there).
func (e *memoryEntry) rareID() string {
	if e.rare == nil {
		return ""
	}
	return e.rare.id
}

// id returns e's session ID. For an ID of the manager's form it encodes
// one, an allocation: callers ask for it after a shard's lock is let go.
func (e *memoryEntry) id() string {
	if e.idInRare {
		return e.rareID()
	}
	return base64.RawURLEncoding.EncodeToString(e.rawID[:])
}

// is reports whether e's ID is p.
func (e *memoryEntry) is(p parsedID) bool { return e.hasID(p.id) }

// hasID reports whether e's ID is id. An ID not of the manager's form
// never equals the encoding of a decoded one: base64url has one canonical
// encoding of 32 bytes.
func (e *memoryEntry) hasID(id string) bool {
	if e.idInRare {
		return e.rareID() == id
	}
	return encodesTo(&e.rawID, id)
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
