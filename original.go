package session

import (
	"crypto/rand"
	"net/http"
	"time"

	"github.com/sessionkit/session/internal/seam"
	"github.com/sessionkit/session/manager"
)

// This file holds the names kept from the original package (see the package
// doc) that are not the Gin helpers themselves. They are sessionkit's API
// like any other.

// DefaultKey is the default cookie name (Options.CookieName when empty).
const DefaultKey = seam.DefaultCookieName

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

// CreateMemSession is a session creator for [NewManager]: a session with a
// fresh random ID from crypto/rand, belonging to no manager yet. It is not
// the default: a nil creator does the same with the manager's
// Options.Rand, which this function cannot see. Pass nil unless an
// application must name a creator.
func CreateMemSession(r *http.Request, w http.ResponseWriter) (Session, error) {
	id, err := seam.NewID(rand.Reader)
	if err != nil {
		return nil, err
	}
	return manager.NewSession(id, time.Now().Unix()), nil
}

// NewSession returns a session with the given ID and last access time (Unix
// seconds) that belongs to no manager yet, for a session creator or an
// Options.SessionLoader; see [manager.NewSession].
func NewSession(id string, timeAccessed int64) Session {
	return manager.NewSession(id, timeAccessed)
}
