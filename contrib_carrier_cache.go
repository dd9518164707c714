package session

import (
	"encoding/base64"
	"hash/maphash"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gorilla/securecookie"
	gsessions "github.com/gorilla/sessions"
)

// verifiedCookies remembers, for gin-contrib's cookie store, which session ID
// a cookie value was verified to carry, so that a request presenting the
// same value again skips securecookie's decoding (base64, HMAC, base64 and
// gob: about 200 allocations, nearly all of the carrier's cost).
//
// What makes it safe:
//   - Only a value the store itself accepted is ever added, keyed by the
//     exact cookie string: any other string, a tampered one included, misses
//     and goes to the store.
//   - Only a store that keeps nothing on the server: a cookie it accepted
//     stays acceptable until its signed timestamp is too old, so there is no
//     server-side deletion (a logout) the cache could miss.
//   - An entry is used only while the store would accept the value now: the
//     signed timestamp is checked against every codec's current MaxAge (which
//     the store's MaxAge method can change at any time) and the codecs must
//     be the ones that verified it (keys replaced in place clear the cache).
//     Anything else a codec could be changed in (its hash function, cipher or
//     serializer, reachable only by reflection) is bounded by verifiedTTL.
//   - It is bounded in entries and bytes; a flood of valid cookies can only
//     evict entries, which then cost a decode again. Invalid cookies never
//     enter it.
type verifiedCookies struct {
	store  *gsessions.CookieStore
	codecs []securecookie.Codec // the codecs the entries were verified with
	seed   maphash.Seed
	shards [cookieShards]cookieShard
}

const (
	// cookieShards spreads the cache over several locks, so that parallel
	// reads do not queue on one.
	cookieShards = 16
	// maxVerifiedCookies and maxVerifiedBytes bound the cache: 4,096 entries
	// and 4 MiB of cookie values and IDs (a cookie value is at most 4,096
	// bytes, seam.MaxCookieSize).
	maxVerifiedCookies = 4096
	maxVerifiedBytes   = 4 << 20
	// verifiedTTL is how long an entry is trusted at most, whatever its
	// timestamp: a codec changed in a way the cache cannot see (by
	// reflection) is followed within this time.
	verifiedTTL = time.Minute
	// entryOverhead is what an entry costs besides its strings, roughly.
	entryOverhead = 64
)

type cookieShard struct {
	mu      sync.RWMutex
	entries map[string]verifiedCookie
	bytes   int
}

type verifiedCookie struct {
	id       string
	signedAt int64 // the timestamp securecookie signed, Unix seconds
	// verified is when the store accepted the value, with its monotonic
	// reading: a wall-clock step must not stretch verifiedTTL.
	verified time.Time
}

// secureCookieAges are the indexes of securecookie's maxAge and minAge
// fields, which it has no getter for; nil when this version of securecookie
// does not have them as int64, and then nothing is cached.
var secureCookieAges = func() []int {
	t := reflect.TypeFor[securecookie.SecureCookie]()
	var idx []int
	for _, name := range []string{"maxAge", "minAge"} {
		f, ok := t.FieldByName(name)
		if !ok || f.Type.Kind() != reflect.Int64 {
			return nil
		}
		idx = append(idx, f.Index[0])
	}
	return idx
}()

// newVerifiedCookies returns a cache for st, or nil when st is not
// gin-contrib's cookie store over gorilla's CookieStore with securecookie
// codecs, the only carrier whose acceptance the cache can follow.
func newVerifiedCookies(st sessions.Store) *verifiedCookies {
	if carrierStateOf(st) != stateNone || secureCookieAges == nil {
		return nil
	}
	v := reflect.ValueOf(st)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("CookieStore")
	if !f.IsValid() || !f.CanInterface() {
		return nil
	}
	cs, ok := f.Interface().(*gsessions.CookieStore)
	if !ok || cs == nil || len(cs.Codecs) == 0 {
		return nil
	}
	for _, c := range cs.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); !ok || sc == nil {
			return nil
		}
	}
	vc := &verifiedCookies{store: cs, codecs: append([]securecookie.Codec(nil), cs.Codecs...), seed: maphash.MakeSeed()}
	for i := range vc.shards {
		vc.shards[i].entries = make(map[string]verifiedCookie)
	}
	return vc
}

func (vc *verifiedCookies) shard(value string) *cookieShard {
	return &vc.shards[maphash.String(vc.seed, value)%cookieShards]
}

// lookup returns the ID value was verified to carry, if the store would
// accept value now.
func (vc *verifiedCookies) lookup(value string, now time.Time) (string, bool) {
	sh := vc.shard(value)
	sh.mu.RLock()
	e, ok := sh.entries[value]
	sh.mu.RUnlock()
	if !ok || now.Sub(e.verified) >= verifiedTTL || now.Before(e.verified) {
		return "", false
	}
	if !vc.acceptsNow(e.signedAt, now.Unix()) {
		return "", false
	}
	return e.id, true
}

// acceptsNow reports whether the store's codecs are still those that
// verified the entries and would each accept a value signed at signedAt:
// with several codecs (keys being rotated), any one may have verified it, so
// it must be young enough for the strictest.
func (vc *verifiedCookies) acceptsNow(signedAt, now int64) bool {
	codecs := vc.store.Codecs
	if len(codecs) != len(vc.codecs) {
		return false
	}
	for i, c := range codecs {
		if c != vc.codecs[i] {
			return false
		}
		v := reflect.ValueOf(c.(*securecookie.SecureCookie)).Elem()
		maxAge, minAge := v.Field(secureCookieAges[0]).Int(), v.Field(secureCookieAges[1]).Int()
		if minAge != 0 || (maxAge != 0 && signedAt < now-maxAge) {
			return false
		}
	}
	return true
}

// add remembers that the store accepted value as carrying id at now.
func (vc *verifiedCookies) add(value, id string, now time.Time) {
	signedAt, ok := signedTimestamp(value)
	if !ok || !vc.acceptsNow(signedAt, now.Unix()) {
		return
	}
	value, id = strings.Clone(value), strings.Clone(id) // not the request's header
	cost := len(value) + len(id) + entryOverhead
	sh := vc.shard(value)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.entries[value]; ok {
		sh.bytes -= len(value) + len(old.id) + entryOverhead
		delete(sh.entries, value)
	}
	for k, e := range sh.entries { // map order is random: random eviction
		if len(sh.entries) < maxVerifiedCookies/cookieShards && sh.bytes+cost <= maxVerifiedBytes/cookieShards {
			break
		}
		sh.bytes -= len(k) + len(e.id) + entryOverhead
		delete(sh.entries, k)
	}
	sh.entries[value] = verifiedCookie{id: id, signedAt: signedAt, verified: now}
	sh.bytes += cost
}

// signedTimestamp reads the timestamp securecookie signed into value
// ("date|value|mac", base64url), which the store has just verified.
func signedTimestamp(value string) (int64, bool) {
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return 0, false
	}
	date, _, ok := strings.Cut(string(b), "|")
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseInt(date, 10, 64)
	return t, err == nil
}
