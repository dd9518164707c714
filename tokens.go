package session

import (
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/manager"
)

// TokenHeader is the response header in which a route served by
// UseTokens(m, "") sends a new session token: a response has no
// Authorization header to answer in.
const TokenHeader = manager.TokenHeader

// UseTokens returns Gin middleware that serves the sessions of m to JSON
// APIs and mobile clients: the session ID travels in a request header
// instead of a cookie, and no response of its routes sets a cookie. Install
// it on an API route group beside the page routes' UseManager(m, ...), with
// the same manager: the helpers (GetSession, CreateSession, RenewSession,
// DestroySession, ...) work alike on both. Keep the two on separate groups:
// a route behind both a global UseManager and UseTokens would look up a
// session through each, and its responses would vary on the cookie too.
//
// With header "" (or "Authorization") a client sends
// "Authorization: Bearer <token>" (the scheme in any case, RFC 7235) and
// receives a new token in the [TokenHeader] response header. With any other
// header, say "X-Session-Token", it sends the token alone in that header
// and receives new ones in the same header. CreateSession and RenewSession
// send the new token (after a renewal the old one is dead); DestroySession
// sends the header with an empty value, which tells the client to forget
// its token. Every response names the header in Vary, and one that carries
// a token has "Cache-Control: no-store".
//
// The token is checked as strictly as a cookie: a header that is repeated,
// over 1024 bytes, of another scheme than Bearer, or whose token is not 43
// base64url characters means no session, without any store access; an
// unknown or expired token means no session too. The request goes on
// without a session: the handler decides whether to answer 401.
//
// UseTokens panics on a header that is not a header field name, or one that
// cannot carry a token (Cookie, Host, Vary, Cache-Control, Content-Type, Location, ...).
func UseTokens(m *Manager, header string) gin.HandlerFunc {
	return useCarrier(m, hooks.Tokens(header))
}
