package manager

// Fuzz targets for what reaches the manager from outside: the Cookie header
// and the session ID in it. Seeds, hostile ones included, live in
// testdata/fuzz/<target>; `go test` runs them, `make fuzz` explores further.

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/sessionkit/session/internal/allocbudget"
)

// FuzzCookieValue checks the cookie value parser against net/http: never a
// panic, never a byte a cookie value cannot hold, the same answer as
// (*http.Request).Cookie wherever net/http parses the header, and an
// oversized value refused by the cookie carrier before it is used.
func FuzzCookieValue(f *testing.F) {
	f.Add("session-key="+strings.Repeat("A", IDLength), "", DefaultCookieName)
	f.Add("a=1; session-key=x; b=2", "c=3", DefaultCookieName)
	f.Fuzz(func(t *testing.T, first, second, name string) {
		r := &http.Request{Header: http.Header{"Cookie": {first}}}
		if second != "" {
			r.Header["Cookie"] = append(r.Header["Cookie"], second)
		}

		var value string
		var found bool
		allocbudget.Check(t, "CookieValue", func() { value, found = CookieValue(r, name) })

		if !found && value != "" {
			t.Fatalf("not found, yet value %q", value)
		}
		// net/http's own rule for what a cookie value may hold.
		if err := (&http.Cookie{Name: "x", Value: value}).Valid(); err != nil {
			t.Fatalf("value %q is no cookie value: %v", value, err)
		}

		want, err := r.Cookie(name)
		if err == nil && (!found || value != want.Value) {
			t.Fatalf("net/http reads %q, CookieValue reads %q (found %v)", want.Value, value, found)
		}
		nameIsToken := (&http.Cookie{Name: name}).Valid() == nil
		// Past net/http's cookie count (GODEBUG httpcookiemaxnum) neither
		// reads any cookie.
		if err != nil && found && nameIsToken {
			t.Fatalf("net/http finds no cookie %q, CookieValue reads %q", name, value)
		}

		carrier := &cookieCarrier{opts: Options{CookieName: name}}
		var id string
		allocbudget.Check(t, "cookie carrier ReadID", func() { id, err = carrier.ReadID(r) })
		switch {
		case !found && (id != "" || err != nil):
			t.Fatalf("no cookie, yet ReadID = %q, %v", id, err)
		case len(value) > MaxCookieSize && (id != "" || err == nil):
			t.Fatalf("a %d-byte cookie was not refused", len(value))
		case found && len(value) <= MaxCookieSize && (id != value || err != nil):
			t.Fatalf("ReadID = %q, %v; want the cookie value %q", id, err, value)
		}
	})
}

// FuzzIsValidID checks the ID check against its definition: exactly the
// strings that are the canonical unpadded base64url form of 32 bytes. It also
// checks that every 32 bytes encode to an accepted ID.
func FuzzIsValidID(f *testing.F) {
	f.Add(strings.Repeat("A", IDLength))
	f.Add(strings.Repeat("A", IDLength-1) + "B")
	f.Fuzz(func(t *testing.T, id string) {
		var got bool
		allocbudget.Check(t, "IsValidID", func() { got = IsValidID(id) })

		raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
		// The decoder skips '\r' and '\n', so the re-encoding must be
		// compared too.
		want := len(id) == 43 && err == nil && len(raw) == 32 &&
			base64.RawURLEncoding.EncodeToString(raw) == id
		if got != want {
			t.Fatalf("IsValidID(%q) = %v, want %v", id, got, want)
		}

		if len(id) >= 32 {
			encoded := base64.RawURLEncoding.EncodeToString([]byte(id[:32]))
			if !IsValidID(encoded) {
				t.Fatalf("the encoding %q of 32 bytes is refused", encoded)
			}
		}
	})
}

// FuzzTokenHeader checks the token carrier's reading of a request header
// against RFC 6750's form, written out independently: never a panic, no
// error with an ID, and an ID that passes the manager's check exactly when
// the header is one line of at most maxTokenHeader bytes holding the
// scheme Bearer (in any case), one or more spaces and that ID, or, for a
// named header, the ID alone.
func FuzzTokenHeader(f *testing.F) {
	id := strings.Repeat("A", IDLength)
	f.Add("Bearer "+id, "", false)
	f.Add("bEaReR   "+id, "", false)
	f.Add("Bearer "+id+"\r\nX: y", "Bearer "+id, false)
	f.Add(id, "", true)
	f.Fuzz(func(t *testing.T, first, second string, named bool) {
		header := ""
		if named {
			header = "X-Session-Token"
		}
		carrier := newTokenCarrier(header)
		r := &http.Request{Header: http.Header{carrier.header: {first}}}
		if second != "" {
			r.Header[carrier.header] = append(r.Header[carrier.header], second)
		}

		var got string
		var err error
		allocbudget.Check(t, "token carrier ReadID", func() { got, err = carrier.ReadID(r) })
		if err != nil && got != "" {
			t.Fatalf("ReadID = %q with error %v", got, err)
		}

		want := ""
		if second == "" && len(first) <= maxTokenHeader {
			switch {
			case named:
				want = first
			case len(first) > 7 && strings.EqualFold(first[:6], "Bearer") && first[6] == ' ':
				want = strings.TrimLeft(first[6:], " ")
			}
		}
		if IsValidID(got) != IsValidID(want) || IsValidID(want) && got != want {
			t.Fatalf("ReadID(%q, %q) = %q, %v; the RFC form gives %q", first, second, got, err, want)
		}
	})
}
