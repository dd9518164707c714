package manager

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenID is a well-formed session ID for the parser tests.
var tokenID = strings.Repeat("A", IDLength)

// The token carrier reads exactly what RFC 6750 and 7235 allow, or a named
// header that holds the token alone; anything else carries no ID, and the
// error it gives never quotes the value. What it returns is then checked by
// the manager for length and alphabet (see TestTokenHandlerMalformedHeaders).
func TestTokenCarrierReadID(t *testing.T) {
	tests := []struct {
		name    string
		header  string   // "" is Authorization
		values  []string // the header's lines as the request holds them
		want    string
		wantErr string
	}{
		{name: "no header"},
		{name: "Bearer", values: []string{"Bearer " + tokenID}, want: tokenID},
		// RFC 7235 section 2.1: the scheme is case-insensitive.
		{name: "lowercase bearer", values: []string{"bearer " + tokenID}, want: tokenID},
		{name: "uppercase BEARER", values: []string{"BEARER " + tokenID}, want: tokenID},
		// RFC 6750 section 2.1: "Bearer" 1*SP b64token.
		{name: "several spaces", values: []string{"Bearer   " + tokenID}, want: tokenID},
		{name: "a tab instead of a space", values: []string{"Bearer\t" + tokenID}, wantErr: "not a Bearer credential"},
		{name: "no space", values: []string{"Bearer" + tokenID}, wantErr: "not a Bearer credential"},
		{name: "scheme alone", values: []string{"Bearer"}, wantErr: "not a Bearer credential"},
		{name: "another scheme", values: []string{"Basic " + tokenID}, wantErr: "not a Bearer credential"},
		{name: "a scheme that starts alike", values: []string{"Bearers " + tokenID}, wantErr: "not a Bearer credential"},
		{name: "token alone", values: []string{tokenID}, wantErr: "not a Bearer credential"},
		{name: "two header lines", values: []string{"Bearer " + tokenID, "Bearer " + tokenID}, wantErr: "more than once"},
		{name: "oversized", values: []string{"Bearer " + strings.Repeat("A", 2000)}, wantErr: "2007 bytes"},
		// These reach the manager's ID check, which refuses them.
		{name: "two tokens", values: []string{"Bearer " + tokenID + " " + tokenID}, want: tokenID + " " + tokenID},
		{name: "two credentials", values: []string{"Bearer " + tokenID + ", Bearer " + tokenID}, want: tokenID + ", Bearer " + tokenID},
		{name: "CR LF and a header after", values: []string{"Bearer " + tokenID + "\r\nSet-Cookie: a=b"}, want: tokenID + "\r\nSet-Cookie: a=b"},
		{name: "empty", values: []string{""}},

		{name: "named header", header: "X-Session-Token", values: []string{tokenID}, want: tokenID},
		{name: "named header with a scheme", header: "X-Session-Token", values: []string{"Bearer " + tokenID}, want: "Bearer " + tokenID},
		{name: "named header twice", header: "X-Session-Token", values: []string{tokenID, tokenID}, wantErr: "more than once"},
		{name: "named header oversized", header: "X-Session-Token", values: []string{strings.Repeat("A", maxTokenHeader+1)}, wantErr: "1025 bytes"},
		{name: "named header at the limit", header: "X-Session-Token", values: []string{strings.Repeat("A", maxTokenHeader)}, want: strings.Repeat("A", maxTokenHeader)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTokenCarrier(tt.header)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.values != nil {
				r.Header[c.header] = tt.values
			}
			id, err := c.ReadID(r)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), tokenID[:8], "the error quotes the value")
				assert.Empty(t, id)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, id)
		})
	}
}

// A token goes out only in the reply header and only when it is a session
// ID, so that nothing a session creator returns can add a header line; a
// cleared token is the reply header with an empty value.
func TestTokenCarrierWrites(t *testing.T) {
	tests := []struct{ header, reply string }{
		{header: "", reply: TokenHeader},
		{header: "authorization", reply: TokenHeader},
		{header: "x-session-token", reply: "X-Session-Token"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			c := newTokenCarrier(tt.header)
			r := httptest.NewRequest(http.MethodGet, "/", nil)

			w := httptest.NewRecorder()
			require.NoError(t, c.WriteID(w, r, tokenID, 600))
			assert.Equal(t, http.Header{tt.reply: {tokenID}}, w.Header())

			w = httptest.NewRecorder()
			err := c.WriteID(w, r, tokenID+"\r\nSet-Cookie: a=b", 600)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), tokenID[:8])
			assert.Empty(t, w.Header())

			w = httptest.NewRecorder()
			require.NoError(t, c.ClearID(w, r))
			assert.Equal(t, http.Header{tt.reply: {""}}, w.Header())
		})
	}
}

// A header that is no field name, or one that browsers, proxies or the
// session itself own, is a configuration mistake: it panics at once.
func TestTokenCarrierHeaderNames(t *testing.T) {
	for _, bad := range []string{"X Session", "X-Session:", "X-Session\r\nX-Evil", "Cookie", "set-cookie", "Host", "Vary", "cache-control", "Content-Type", "location", "Proxy-Authorization", "TE"} {
		assert.Panics(t, func() { newTokenCarrier(bad) }, "%q", bad)
	}
	for _, good := range []string{"", "Authorization", "X-Session-Token", "Session-Token", "x-api-key"} {
		assert.NotPanics(t, func() { newTokenCarrier(good) }, "%q", good)
	}
}
