package session

// FuzzContribCarrier lives inside the package: the carrier is unexported, and
// the target fuzzes it alone, without a manager or gin around it.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	gsessions "github.com/gorilla/sessions"

	"github.com/sessionkit/session/internal/allocbudget"
	"github.com/sessionkit/session/internal/seam"
)

// fuzzSigningKey is the only key the fuzzed carrier signs with, so a cookie
// it accepts must carry a MAC made with this key.
var fuzzSigningKey = []byte("FuzzContribCarrier signing key, 32+ bytes")

// decodeCountingStore counts how often the carrier asks the gin-contrib store
// to decode a request's cookie.
type decodeCountingStore struct {
	sessions.Store
	decodes int
}

func (s *decodeCountingStore) New(r *http.Request, name string) (*gsessions.Session, error) {
	s.decodes++
	return s.Store.New(r, name)
}

// newFuzzCarrier returns a carrier over a counting cookie store, its count
// at zero: building the carrier reads the store's cookie options with a
// request that has no cookie, which decodes nothing.
func newFuzzCarrier() (*contribCarrier, *decodeCountingStore) {
	st := &decodeCountingStore{Store: cookie.NewStore(fuzzSigningKey)}
	ck := seam.Cookie{
		Template: http.Cookie{Name: DefaultKey, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode},
		Lifetime: 3600,
		Logger:   slog.New(slog.DiscardHandler), // the startup lines, once per input
	}
	carrier := newContribCarrier(st, ck)
	st.decodes = 0
	return carrier, st
}

// signedWithFuzzKey reports whether value carries a valid MAC under
// fuzzSigningKey for the cookie name: securecookie's "date|value|mac" in
// base64url, checked here independently of securecookie.
func signedWithFuzzKey(name, value string) bool {
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return false
	}
	parts := bytes.SplitN(b, []byte("|"), 3)
	if len(parts) != 3 {
		return false
	}
	mac := hmac.New(sha256.New, fuzzSigningKey)
	mac.Write([]byte(name + "|"))
	mac.Write(b[:len(b)-len(parts[2])-1])
	return hmac.Equal(mac.Sum(nil), parts[2])
}

// writtenCookie returns the cookie that WriteID or ClearID sent last.
func writtenCookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		t.Fatalf("no cookie written")
	}
	return cookies[len(cookies)-1]
}

func requestWithCookie(header string) *http.Request {
	return &http.Request{Method: http.MethodGet, Header: http.Header{"Cookie": {header}}}
}

// FuzzContribCarrier feeds arbitrary cookie values to the gin-contrib
// carrier over a securecookie-signed cookie store. It never panics; an ID it
// reads has the form of an ID and came in a cookie signed with the store's
// key; a cookie over seam.MaxCookieSize is refused before the store
// decodes it, by every method that looks at the request; and an ID derived
// from the input, written by the carrier, is read back.
func FuzzContribCarrier(f *testing.F) {
	// Seeds that need the key: a cookie the carrier wrote, and near misses.
	// Writing one also warms up gob and securecookie, whose first use
	// allocates once per process.
	carrier, _ := newFuzzCarrier()
	rec := httptest.NewRecorder()
	if err := carrier.WriteID(rec, requestWithCookie(""), strings.Repeat("A", seam.IDLength), 3600); err != nil {
		f.Fatal(err)
	}
	signed := rec.Result().Cookies()[0].Value
	if id, err := carrier.ReadID(requestWithCookie(DefaultKey + "=" + signed)); err != nil || id == "" {
		f.Fatalf("the carrier cannot read its own cookie: %q, %v", id, err)
	}
	flipped := byte('A')
	if signed[40] == 'A' {
		flipped = 'B'
	}
	f.Add(signed)
	f.Add(`"` + signed + `"`)
	f.Add(signed[:len(signed)-1])
	f.Add(signed + "A")
	f.Add(signed[:40] + string(flipped) + signed[41:])
	f.Add(signed + "; " + DefaultKey + "=x")
	f.Add("x; " + DefaultKey + "=" + signed)
	f.Add(signed + strings.Repeat("A", seam.MaxCookieSize))

	f.Fuzz(func(t *testing.T, value string) {
		header := DefaultKey + "=" + value
		carrier, st := newFuzzCarrier()

		var id string
		var err error
		allocbudget.Check(t, "ReadID", func() { id, err = carrier.ReadID(requestWithCookie(header)) })

		if id != "" && !seam.ValidID(id) {
			t.Fatalf("ReadID returned %q, which is no session ID", id)
		}
		ck, cookieErr := requestWithCookie(header).Cookie(DefaultKey)
		if id != "" && (err != nil || cookieErr != nil || !signedWithFuzzKey(DefaultKey, ck.Value)) {
			t.Fatalf("ReadID returned an ID (err %v) from a cookie not signed with the store's key", err)
		}
		oversized := cookieErr == nil && len(ck.Value) > seam.MaxCookieSize
		if oversized && err == nil {
			t.Fatalf("a %d-byte cookie was not refused", len(ck.Value))
		}

		// WriteID and ClearID look at the request's cookie too.
		raw := sha256.Sum256([]byte(value))
		written := base64.RawURLEncoding.EncodeToString(raw[:])
		var wrote, cleared *httptest.ResponseRecorder
		allocbudget.Check(t, "WriteID", func() {
			wrote = httptest.NewRecorder()
			err = carrier.WriteID(wrote, requestWithCookie(header), written, 3600)
		})
		if err != nil {
			t.Fatalf("WriteID: %v", err)
		}
		allocbudget.Check(t, "ClearID", func() {
			cleared = httptest.NewRecorder()
			err = carrier.ClearID(cleared, requestWithCookie(header))
		})
		if err != nil {
			t.Fatalf("ClearID: %v", err)
		}
		if out := writtenCookie(t, cleared); out.MaxAge >= 0 {
			t.Fatalf("ClearID wrote a cookie with Max-Age %d", out.MaxAge)
		}
		if oversized && st.decodes != 0 {
			t.Fatalf("the store decoded a %d-byte cookie", len(ck.Value))
		}

		// Round trip: the ID written is the ID read back.
		out := writtenCookie(t, wrote)
		if err := out.Valid(); err != nil || len(out.Value) > seam.MaxCookieSize {
			t.Fatalf("WriteID wrote a cookie the carrier cannot read back (%d bytes, %v)", len(out.Value), err)
		}
		allocbudget.Check(t, "ReadID of a written cookie", func() {
			id, err = carrier.ReadID(requestWithCookie(DefaultKey + "=" + out.Value))
		})
		if err != nil || id != written {
			t.Fatalf("wrote ID %q, read back %q (%v)", written, id, err)
		}
	})
}
