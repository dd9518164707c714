// Package seam is the boundary between package manager and the faces built
// on it: the Gin middleware of the root package today, other carriers and
// metrics later. It carries what a face needs from the manager (the work of
// one request, the client half of a session, the cookie rules) without
// making it part of manager's exported API.
//
// Package manager installs its hooks with [Install] in an init function; a
// face reads them with [Installed]. Since the face imports manager, manager's
// init has run before any of the face's package variables are set.
package seam

import "net/http"

// Carrier moves the session ID between server and client: the client half
// of a session. The manager's built-in carrier is a plain cookie; the root
// package adapts any gin-contrib sessions.Store.
type Carrier interface {
	// ReadID returns the session ID the request carries, "" when it carries
	// none, or an error saying why what it carries is refused (an error
	// must not quote the value); the request then has no session. An error
	// that wraps store.ErrUnavailable means the carrier could not look
	// (its backend is down): the request fails closed, through the error
	// handler. The manager checks the ID's form itself.
	ReadID(r *http.Request) (string, error)
	// WriteID sends id to the client. maxAge is the cookie's lifetime in
	// seconds; 0 means until the browser closes.
	WriteID(w http.ResponseWriter, r *http.Request, id string, maxAge int) error
	// ClearID tells the client to forget its session ID.
	ClearID(w http.ResponseWriter, r *http.Request) error
}

// Scope is the session work of one request, begun by [Hooks.Begin]: the
// session it found, the changes it holds, the cookie it must send. M is the
// manager's type and S its session type.
type Scope[M, S any] interface {
	// Session returns the request's session; the zero S when it has none.
	Session() S
	// Create makes a new session for the request, destroying the one it
	// had, and sends its cookie.
	Create() (S, error)
	// Renew gives the request's session a new ID and sends it.
	Renew() (S, error)
	// Destroy destroys the request's session, if any, and expires the
	// cookie.
	Destroy() error
	// CommitBeforeWrite commits the request's changes, answering a failure
	// through the error handler, and reports whether the response may go
	// on. A response writer wrapper calls it before the response's first
	// byte.
	CommitBeforeWrite() bool
	// ErrorAnswer is [Committer]'s, so that a scope can be a
	// [CommitWriter]'s.
	ErrorAnswer() *bool
	// Serve runs next.Next(), the rest of the request's handlers, then
	// commits unless the response has started. When it panics, the changes
	// the session holds are discarded and the panic goes on. next is an
	// interface and not a func so that Gin's middleware can pass its
	// *gin.Context as it is: the method value c.Next would cost an
	// allocation per request.
	Serve(next Next)
	// Manager returns the manager the scope belongs to.
	Manager() M
	// Fail makes the request's commit fail with err, so that the response
	// goes through the error handler even when the handler ignores err (a
	// face's own save that failed). Once the commit has run it only logs.
	Fail(err error)
}

// Next runs the rest of a request's handlers: *gin.Context is one, and
// [Func] makes one of a func.
type Next interface{ Next() }

// Func is a func as a [Next].
type Func func()

// Next calls f.
func (f Func) Next() { f() }

// Hooks are the functions of package manager that a face calls.
type Hooks[M, S any] struct {
	// Begin starts the session work of a request served by m: it adds
	// "Vary: Cookie" (or the header a carrier of Tokens reads) to the
	// response and looks up the session that c (nil: the built-in cookie)
	// brings. An error means the store failed: the request must be
	// answered through the manager's error handler.
	Begin func(m M, w http.ResponseWriter, r *http.Request, c Carrier) (Scope[M, S], error)
	// BeginGin is Begin for a Gin request whose response goes to w and
	// whose *gin.Context is ginContext. The scope holds the request's
	// writers in its own allocation and returns them: it sends cookies and
	// error responses to their Raw, and their Commit, which wraps w, is
	// the writer the handlers get. On error it returns no writers.
	BeginGin func(m M, w ResponseWriter, ginContext any, r *http.Request, c Carrier) (Scope[M, S], *GinWriters, error)
	// Cookie returns the settings of m's session cookie.
	Cookie func(m M) Cookie
	// Tokens returns the carrier that reads the ID from the request header
	// named header ("" means Authorization: Bearer) and sends it in a
	// response header, never a cookie. It panics on a header that cannot
	// carry a token.
	Tokens func(header string) Carrier
	// Attach returns r, or a shallow copy of r, that carries sc, so that the
	// manager's methods that take the request (Login, SetLifetime, the
	// per-user ones) act on sc's session rather than look the cookie up
	// again: a face reaches them this way instead of through more methods
	// of Scope.
	Attach func(sc Scope[M, S], r *http.Request) *http.Request
	// CheckValue returns the error a session of m's Set would return for
	// value under key, without storing anything: a face that must create
	// a session to hold the value asks first, so that a refused value
	// leaves no empty session behind.
	CheckValue func(m M, key string, value any) error
}

// installed holds the Hooks that package manager installed.
var installed any

// Install makes h the hooks that [Installed] returns. Package manager calls
// it once, in its init.
func Install[M, S any](h Hooks[M, S]) { installed = h }

// Installed returns the hooks that package manager installed. It panics
// when M and S are not the types manager installed them with, a mistake the
// first test of the face shows.
func Installed[M, S any]() Hooks[M, S] { return installed.(Hooks[M, S]) }
