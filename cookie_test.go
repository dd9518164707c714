package session_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions/cookie"
	"github.com/stretchr/testify/assert"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// TestBadIDsMeanNoSessionAndNoStoreAccess: through each carrier, cookie or
// token header, a malformed, oversized or tampered ID means no session, a
// 200 and no store access. (The forms of the Authorization header itself
// are the manager's TestTokenHandlerMalformedHeaders.)
func TestBadIDsMeanNoSessionAndNoStoreAccess(t *testing.T) {
	valid := testkit.ValidID(0)
	tests := []struct {
		name, value string
	}{
		{"truncated", valid[:42]},
		{"one character too many", valid + "A"},
		{"wrong alphabet", strings.Repeat("+", 43)},
		{"padding", valid[:41] + "=="},
		{"not canonical", valid[:42] + "B"},
		{"oversized", strings.Repeat("A", 5000)},
		{"empty", ""},
	}
	for _, carrier := range everyCarrier() {
		for _, tt := range tests {
			t.Run(carrier.name+"/"+tt.name, func(t *testing.T) {
				m, counting := newFaultyManager(t, nil, nil)
				srv := carrier.start(t, m)
				status, body := carrier.client(t, srv).withID(tt.value).get("/whoami")
				assert.Equal(t, http.StatusOK, status)
				assert.Equal(t, "none", body)
				assert.Zero(t, counting.Loads(), "the store was asked")
			})
		}
	}

	t.Run("gin-contrib cookie tampered", func(t *testing.T) {
		m, counting := newFaultyManager(t, nil, nil)
		browser, signed := newSession(t, startApp(t, m, cookie.NewStore(carrierKey)))
		loads := counting.Loads()
		for i, edit := range []string{
			signed[:len(signed)-1],                       // cut short
			signed[:10] + flip(signed[10]) + signed[11:], // one character edited
			"MTIz" + signed[4:],                          // prefix replaced
		} {
			_, body := browser.withCookie(session.DefaultKey, edit).get("/whoami")
			assert.Equal(t, "none", body, "edit %d", i)
		}
		assert.Equal(t, loads, counting.Loads(), "the store was asked")

		_, signedElsewhere := newSession(t, startApp(t, m, cookie.NewStore([]byte("another key, another application"))))
		_, body := browser.withCookie(session.DefaultKey, signedElsewhere).get("/whoami")
		assert.Equal(t, "none", body, "a cookie signed with another key")
	})
}

// flip returns a different base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
