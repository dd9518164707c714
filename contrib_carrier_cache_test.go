package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gorilla/securecookie"
	gsessions "github.com/gorilla/sessions"

	"github.com/sessionkit/session/internal/seam"
)

// newCachingCarrier returns a carrier over gin-contrib's cookie store signed
// with fuzzSigningKey, the store, and the gorilla store inside it.
func newCachingCarrier(t testing.TB) (*contribCarrier, sessions.Store, *gsessions.CookieStore) {
	t.Helper()
	st := cookie.NewStore(fuzzSigningKey)
	carrier := newContribCarrier(st, seam.Cookie{
		Template: http.Cookie{Name: DefaultKey, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode},
		Lifetime: 3600,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if carrier.verified == nil {
		t.Fatal("gin-contrib's cookie store got no cache of verified cookies")
	}
	return carrier, st, carrier.verified.store
}

// signedCookie returns a cookie value carrying id that the store's codec
// would have signed at the given time: securecookie's own encoding, with the
// timestamp replaced and the MAC made again.
func signedCookie(t testing.TB, codecs []securecookie.Codec, id string, at time.Time) string {
	t.Helper()
	value, err := securecookie.EncodeMulti(DefaultKey, map[any]any{contribIDKey: id}, codecs...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(string(b), "|", 3)
	body := strconv.FormatInt(at.Unix(), 10) + "|" + parts[1]
	mac := hmac.New(sha256.New, fuzzSigningKey)
	mac.Write([]byte(DefaultKey + "|" + body))
	return base64.URLEncoding.EncodeToString(append([]byte(body+"|"), mac.Sum(nil)...))
}

func readCookie(c *contribCarrier, value string) (string, error) {
	return c.ReadID(requestWithCookie(DefaultKey + "=" + value))
}

// cached reports whether value has an entry in c's cache.
func cached(c *contribCarrier, value string) bool {
	sh := c.verified.shard(value)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	_, ok := sh.entries[value]
	return ok
}

// TestVerifiedCookiesAcceptOnlyWhatTheStoreAccepts: the cache of verified
// cookie values answers only for the exact value the store accepted, and
// only while the store would still accept it: a tampered value, a value the
// store's current MaxAge makes too old, codecs replaced (keys rotated in
// place), an entry older than verifiedTTL or a clock stepped back all go
// to the store again.
func TestVerifiedCookiesAcceptOnlyWhatTheStoreAccepts(t *testing.T) {
	id := strings.Repeat("A", seam.IDLength)

	t.Run("the same value is answered from the cache", func(t *testing.T) {
		c, _, cs := newCachingCarrier(t)
		value := signedCookie(t, cs.Codecs, id, time.Now())
		got, err := readCookie(c, value)
		if err != nil || got != id {
			t.Fatalf("first read: %q, %v", got, err)
		}
		if !cached(c, value) {
			t.Fatal("a value the store accepted was not cached")
		}
		if got, ok := c.verified.lookup(value, time.Now()); !ok || got != id {
			t.Fatalf("lookup: %q, %v", got, ok)
		}
	})

	t.Run("a tampered value is refused", func(t *testing.T) {
		c, _, cs := newCachingCarrier(t)
		value := signedCookie(t, cs.Codecs, id, time.Now())
		if _, err := readCookie(c, value); err != nil {
			t.Fatal(err)
		}
		for _, tampered := range []string{value[:len(value)-2] + "AA", value[:20] + "x" + value[21:], value + "A", value[1:]} {
			if tampered == value {
				continue
			}
			if got, err := readCookie(c, tampered); err == nil || got != "" {
				t.Errorf("tampered value read as %q, %v", got, err)
			}
			if cached(c, tampered) {
				t.Errorf("a tampered value was cached")
			}
		}
	})

	t.Run("a value the store's MaxAge now makes too old is refused", func(t *testing.T) {
		c, st, cs := newCachingCarrier(t)
		value := signedCookie(t, cs.Codecs, id, time.Now().Add(-100*time.Second))
		if got, err := readCookie(c, value); err != nil || got != id {
			t.Fatalf("a 100 s old cookie under the default 30-day MaxAge: %q, %v", got, err)
		}
		st.(interface{ MaxAge(int) }).MaxAge(50)
		if got, err := readCookie(c, value); err == nil || got != "" {
			t.Fatalf("after MaxAge(50), a 100 s old cookie read as %q, %v", got, err)
		}
	})

	t.Run("a value signed longer ago than MaxAge is never cached", func(t *testing.T) {
		c, st, cs := newCachingCarrier(t)
		st.(interface{ MaxAge(int) }).MaxAge(50)
		value := signedCookie(t, cs.Codecs, id, time.Now().Add(-100*time.Second))
		if got, err := readCookie(c, value); err == nil || got != "" || cached(c, value) {
			t.Fatalf("an expired cookie read as %q, %v (cached: %v)", got, err, cached(c, value))
		}
	})

	t.Run("replaced codecs refuse what the old keys signed", func(t *testing.T) {
		c, _, cs := newCachingCarrier(t)
		value := signedCookie(t, cs.Codecs, id, time.Now())
		if _, err := readCookie(c, value); err != nil {
			t.Fatal(err)
		}
		cs.Codecs = securecookie.CodecsFromPairs([]byte("another signing key, 32 bytes or more"))
		if got, err := readCookie(c, value); err == nil || got != "" {
			t.Fatalf("after the keys changed, the old cookie read as %q, %v", got, err)
		}
	})

	t.Run("an entry is trusted for verifiedTTL at most", func(t *testing.T) {
		c, _, cs := newCachingCarrier(t)
		value := signedCookie(t, cs.Codecs, id, time.Now())
		at := time.Now()
		c.verified.add(value, id, at)
		if _, ok := c.verified.lookup(value, at.Add(verifiedTTL-time.Second)); !ok {
			t.Fatal("an entry younger than verifiedTTL missed")
		}
		if _, ok := c.verified.lookup(value, at.Add(verifiedTTL)); ok {
			t.Fatal("an entry verifiedTTL old was used")
		}
		if _, ok := c.verified.lookup(value, at.Add(-time.Second)); ok {
			t.Fatal("an entry verified in the future (the clock went back) was used")
		}
	})
}

// TestVerifiedCookiesStayBounded floods the cache with more valid cookies
// than it holds, as a client that logs in again and again could, and with
// invalid ones: it keeps at most maxVerifiedCookies entries and
// maxVerifiedBytes, every entry it keeps still answers right, and no invalid
// value enters it.
func TestVerifiedCookiesStayBounded(t *testing.T) {
	c, _, cs := newCachingCarrier(t)
	now := time.Now()
	ids := make(map[string]string)
	for i := range 2 * maxVerifiedCookies {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		id := base64.RawURLEncoding.EncodeToString(sum[:])[:seam.IDLength]
		value := signedCookie(t, cs.Codecs, id, now)
		ids[value] = id
		c.verified.add(value, id, now)
		if _, err := readCookie(c, value+"x"); err == nil {
			t.Fatal("an invalid cookie was accepted")
		}
	}
	entries, bytes := 0, 0
	for i := range c.verified.shards {
		sh := &c.verified.shards[i]
		entries += len(sh.entries)
		bytes += sh.bytes
		for value, e := range sh.entries {
			if ids[value] != e.id {
				t.Fatalf("an entry answers %q for a cookie carrying %q", e.id, ids[value])
			}
		}
	}
	if entries > maxVerifiedCookies || bytes > maxVerifiedBytes {
		t.Fatalf("%d entries, %d bytes: over the bounds %d, %d", entries, bytes, maxVerifiedCookies, maxVerifiedBytes)
	}
	if entries < maxVerifiedCookies/2 {
		t.Fatalf("only %d entries kept of %d added", entries, 2*maxVerifiedCookies)
	}
}

// TestVerifiedCookieReadAllocations pins what a read of a cookie already
// verified costs the carrier: nothing, neither securecookie's decoding
// (about 200 allocations) nor net/http's parse of every cookie.
func TestVerifiedCookieReadAllocations(t *testing.T) {
	c, _, cs := newCachingCarrier(t)
	id := strings.Repeat("A", seam.IDLength)
	r := requestWithCookie(DefaultKey + "=" + signedCookie(t, cs.Codecs, id, time.Now()))
	if got, err := c.ReadID(r); err != nil || got != id {
		t.Fatalf("ReadID: %q, %v", got, err)
	}
	const budget = 0
	if got := testing.AllocsPerRun(100, func() { _, _ = c.ReadID(r) }); got > budget {
		t.Fatalf("a read of a verified cookie made %.0f allocations; the budget is %d", got, budget)
	}
}

// FuzzVerifiedCookies checks the cache against the store: for any cookie
// value, read once (through the store) and again (from the cache, if it was
// cached), the carrier answers exactly what the store alone answers.
func FuzzVerifiedCookies(f *testing.F) {
	c, _, cs := newCachingCarrier(f)
	id := strings.Repeat("A", seam.IDLength)
	signed := signedCookie(f, cs.Codecs, id, time.Now())
	f.Add(signed)
	f.Add(signed[:len(signed)-1])
	f.Add(signed[:30] + "B" + signed[31:])
	f.Add(signedCookie(f, cs.Codecs, id, time.Now().Add(-40*24*time.Hour)))
	f.Fuzz(func(t *testing.T, value string) {
		r := requestWithCookie(DefaultKey + "=" + value)
		want, wantErr := c.decodeID(r)
		for range 2 {
			got, err := c.ReadID(r)
			if got != want || (err == nil) != (wantErr == nil) {
				t.Fatalf("the carrier read %q, %v; the store alone %q, %v", got, err, want, wantErr)
			}
		}
	})
}
