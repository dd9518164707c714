package session

import (
	"net/http"

	"github.com/sessionkit/session/manager"
)

// DefaultKey is the default cookie name, and the gin.Context key under which
// the middleware keeps the request's session work.
const DefaultKey = manager.DefaultCookieName

// Session events, passed to the session handler.
const (
	// Created fires once when a session is made.
	Created = manager.Created
	// Destroyed fires exactly once when a session ends, however it ends.
	Destroyed = manager.Destroyed
	// Update fires on each Set or Delete that changes a value, and on renewal.
	Update = manager.Update
)

type (
	// Options configures sessions; see [manager.Options] for each field and
	// its default.
	Options = manager.Options
	// Session is one user's server-side session; see [manager.Session].
	Session = manager.Session
	// Manager creates, finds and destroys sessions; see [manager.Manager].
	Manager = manager.Manager
	// MemSession is the Session the manager hands out; see
	// [manager.MemSession].
	MemSession = manager.MemSession
)

// NewManager returns a session manager; see [manager.NewManager]. Share it
// with the middleware through [UseManager].
func NewManager(options Options, sessionCreator func(*http.Request, http.ResponseWriter) (Session, error), sessionHandler func(Session, int)) *Manager {
	return manager.NewManager(options, sessionCreator, sessionHandler)
}

// CreateMemSession is the default session creator: a new session with a
// fresh random ID, for passing to NewManager explicitly.
func CreateMemSession(r *http.Request, w http.ResponseWriter) (Session, error) {
	return manager.CreateMemSession(r, w)
}

// NewSession returns a session with the given ID and last access time (Unix
// seconds) that belongs to no manager yet, for a session creator or an
// Options.SessionLoader.
func NewSession(id string, timeAccessed int64) Session {
	return manager.NewSession(id, timeAccessed)
}

// RestoreSession returns a session saved earlier, with its creation and last
// access times (Unix seconds) and its values, for an Options.SessionLoader;
// see [manager.RestoreSession]. Unlike NewSession's, its absolute lifetime
// keeps counting from its creation across restarts.
func RestoreSession(id string, created, lastAccessed int64, values map[string]any) Session {
	return manager.RestoreSession(id, created, lastAccessed, values)
}
