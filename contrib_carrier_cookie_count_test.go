package session

import (
	"strings"
	"testing"
	"time"
)

// TestContribCarrierCookieCountFollowsNetHTTP: a request whose Cookie
// header holds more cookies than net/http reads (3,000 by default, the
// httpcookiemaxnum setting) has no cookie for r.Cookie, and so none for
// gin-contrib's store, which decodes with r.Cookie. The carrier must answer
// it the same whether the cookie value is in its cache of verified values
// or not: no session. A cache that finds the value by another parse hands
// the session to a request the store itself would not read, and makes the
// answer depend on what earlier requests warmed.
func TestContribCarrierCookieCountFollowsNetHTTP(t *testing.T) {
	c, _, cs := newCachingCarrier(t)
	id := strings.Repeat("A", 43)
	value := signedCookie(t, cs.Codecs, id, time.Now())

	// Warm the cache with an ordinary request.
	if got, err := readCookie(c, value); err != nil || got != id {
		t.Fatalf("ReadID of the signed cookie: %q, %v", got, err)
	}

	// The same cookie behind 3,000 empty ones: more than net/http parses.
	header := strings.Repeat("x=1; ", 3000) + DefaultKey + "=" + value
	r := requestWithCookie(header)
	if _, err := r.Cookie(DefaultKey); err == nil {
		t.Skip("this net/http reads more than 3,000 cookies; nothing to compare")
	}
	got, err := c.ReadID(r)
	if err != nil || got != "" {
		t.Errorf("ReadID of a request net/http finds no %s cookie in: %q, %v; want no session, as the store decodes it", DefaultKey, got, err)
	}

	// A cold cache answers the same request with no session: the answer
	// must not depend on the cache.
	cold, _, _ := newCachingCarrier(t)
	if got, err := cold.ReadID(r); err != nil || got != "" {
		t.Fatalf("cold carrier: %q, %v", got, err)
	}
}
