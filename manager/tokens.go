package manager

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/sessionkit/session/internal/seam"
)

// TokenHeader is the response header that carries the session ID to a
// client of a route served with the Authorization header (see
// [Manager.TokenHandler]): a response has no Authorization header to
// answer in. A route served with a header of its own answers in that
// header.
const TokenHeader = "Session-Token"

// maxTokenHeader is the longest header value a token carrier reads: an ID is
// 43 bytes and "Bearer " 7, so anything this long did not come from this
// server, and it is refused before it is looked at further.
const maxTokenHeader = 1024

// Reasons a token carrier refuses what a request carries. They never quote
// the value: the request then has no session.
var (
	errSeveralTokenHeaders = errors.New("session: the token header appears more than once")
	errNotBearer           = errors.New("session: the Authorization header is not a Bearer credential")
)

// tokenCarrier carries the session ID in a request header, for JSON APIs
// and mobile clients, which have no cookie jar or must not use one. It reads
// either "Authorization: Bearer <id>" or a header of the application's that
// holds the ID alone, and sends the ID back in a response header, never in a
// cookie.
type tokenCarrier struct {
	// header is the canonical name of the request header that carries the
	// ID; bearer is whether it is Authorization, read as RFC 6750 says.
	header string
	bearer bool
	// reply is the response header that carries a new ID to the client, and
	// an empty value when the client must forget its ID.
	reply string
	// vary is header, as the one-element value of a Vary header that every
	// response of the carrier's routes shares (see addVary).
	vary []string
}

var _ seam.Carrier = (*tokenCarrier)(nil)

// newTokenCarrier returns the carrier of header ("" means Authorization).
// It panics on a name that is no header field name, or one that a browser
// or proxy sets on its own, a configuration mistake.
func newTokenCarrier(header string) *tokenCarrier {
	if header == "" {
		header = "Authorization"
	}
	if !isFieldName(header) {
		panic(fmt.Sprintf("session: token header %q is not a header field name", header))
	}
	header = textproto.CanonicalMIMEHeaderKey(header)
	switch header {
	// Headers the session, HTTP framing, proxies or the response's meaning
	// own: a token there would garble the response (Content-Type,
	// Location) or be dropped or rewritten on the way.
	case "Cookie", "Set-Cookie", "Host", "Content-Length", "Transfer-Encoding", "Connection", "Vary", "Cache-Control",
		"Content-Type", "Content-Encoding", "Location", "Upgrade", "Te", "Trailer", "Keep-Alive",
		"Proxy-Authorization", "Proxy-Authenticate", "Www-Authenticate", "Expect", "Date":
		panic(fmt.Sprintf("session: the %s header cannot carry session tokens", header))
	}
	c := &tokenCarrier{header: header, reply: header, vary: []string{header}}
	if header == "Authorization" {
		c.bearer, c.reply = true, TokenHeader
	}
	return c
}

// ReadID returns the ID the request's header carries. A header that is
// absent or empty carries none. The header must appear once: two lines
// that may name two sessions name none. For Authorization, the value must
// be the scheme Bearer, in any case (RFC 7235 makes schemes
// case-insensitive), one or more spaces (RFC 6750's 1*SP) and one token;
// the manager then checks the token's length and alphabet.
func (c *tokenCarrier) ReadID(r *http.Request) (string, error) {
	values := r.Header[c.header]
	switch {
	case len(values) == 0:
		return "", nil
	case len(values) > 1:
		return "", errSeveralTokenHeaders
	}
	value := values[0]
	if len(value) > maxTokenHeader {
		return "", fmt.Errorf("session: %s header of %d bytes is over the %d-byte limit", c.header, len(value), maxTokenHeader)
	}
	if !c.bearer {
		return value, nil
	}
	return bearerToken(value)
}

// bearerToken returns the token of an Authorization value of the form
// RFC 6750 section 2.1 gives: "Bearer" 1*SP b64token. It does not check the
// token's form: the manager's ID check is stricter than b64token.
func bearerToken(value string) (string, error) {
	if value == "" {
		return "", nil
	}
	scheme, token, found := strings.Cut(value, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", errNotBearer
	}
	return strings.TrimLeft(token, " "), nil
}

// WriteID sends id in the reply header. The token has no lifetime of its
// own: the session's idle and absolute deadlines end it on the server.
func (c *tokenCarrier) WriteID(w http.ResponseWriter, _ *http.Request, id string, _ int) error {
	if !seam.ValidID(id) {
		// Only a session creator could hand us such an ID; a header must
		// never carry what a client would read as a second header line.
		return fmt.Errorf("session: refusing to send a malformed session ID of %d bytes", len(id))
	}
	w.Header().Set(c.reply, id)
	return nil
}

// ClearID sends the reply header with an empty value: the client must
// forget its token.
func (c *tokenCarrier) ClearID(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set(c.reply, "")
	return nil
}

// isFieldName reports whether name is a header field name: an RFC 9110
// token.
func isFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		b := name[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, b) >= 0 {
			return false
		}
	}
	return true
}

// TokenHandler is [Manager.Handler] for JSON APIs and mobile clients: the
// session ID travels in the request header named header instead of the
// cookie, and no response sets a cookie.
//
// With header "" (or "Authorization") a client sends
// "Authorization: Bearer <token>" and receives a new token in the
// [TokenHeader] response header; with any other header, say
// "X-Session-Token", it sends the token alone in that header and receives
// new ones in the same header. Creating or renewing a session sends the new
// token (renewal kills the old one at once); destroying it sends the header
// with an empty value, which tells the client to forget its token. Every
// response carries "Vary: <header>"; one that carries a token carries
// "Cache-Control: no-store". A malformed, repeated, oversized, unknown or
// expired token means no session, without any store access for the
// malformed ones.
//
// One manager serves cookie routes (Handler) and token routes alike: a
// session is the same whichever carrier made it. TokenHandler panics on a
// header that is not a header field name, or one that cannot carry a token
// (Cookie, Host, Vary, Cache-Control, ...).
func (m *Manager) TokenHandler(header string, next http.Handler) http.Handler {
	return m.handle(newTokenCarrier(header), next)
}
