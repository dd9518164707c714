package session

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
)

// Sessions is gin-contrib's sessions.Sessions behind sessionkit's
// middleware, for a store made by [NewGinStore]: handlers keep calling
// sessions.Default(c), and
//
//	r.Use(session.Sessions("mysession", session.NewGinStore(m)))
//
// adds what gin-contrib's own middleware cannot give. The session is
// loaded before any handler runs, so a store that cannot be reached is
// answered through Options.ErrorHandler (503 by default) and no handler
// sees an empty session; changes that Save holds are stored before the
// response's first byte, and a failure answers the request through
// Options.ErrorHandler instead of the handler's response, whether or not
// the handler looked at Save's error. Every response gets "Vary: Cookie".
// [GetSession] and the other helpers work on the same session.
//
// It panics when store was not made by NewGinStore.
func Sessions(name string, store sessions.Store) gin.HandlerFunc {
	return mustGinStore(store).middleware([]string{name}, sessions.Sessions(name, store))
}

// SessionsMany is gin-contrib's sessions.SessionsMany behind sessionkit's
// middleware, as [Sessions] is: handlers reach each session with
// sessions.DefaultMany(c, name). The sessions share store's manager, each
// with a cookie of its name.
//
// It panics when store was not made by NewGinStore, or names is empty.
func SessionsMany(names []string, store sessions.Store) gin.HandlerFunc {
	if len(names) == 0 {
		panic(errors.New("session: SessionsMany needs at least one name"))
	}
	return mustGinStore(store).middleware(names, sessions.SessionsMany(names, store))
}

func mustGinStore(store sessions.Store) *ginStore {
	st, ok := store.(*ginStore)
	if !ok {
		panic(errors.New("session: Sessions and SessionsMany take a store made by NewGinStore; for another gin-contrib store use UseManager"))
	}
	return st
}

// ginRequestsKey is the request context key under which Sessions leaves
// the work it began, for the store's Get to find.
type ginRequestsKey struct{}

// requestOf returns the work that Sessions began on r for st's session
// named name, or nil.
func requestOf(r *http.Request, st *ginStore, name string) *ginRequest {
	qs, _ := r.Context().Value(ginRequestsKey{}).([]*ginRequest)
	for _, q := range qs {
		if q.store == st && q.name == name {
			return q
		}
	}
	return nil
}

// middleware begins the work on each named session, then runs contrib,
// gin-contrib's middleware, which runs the handlers.
func (st *ginStore) middleware(names []string, contrib gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		raw := &ginResponse{ResponseWriter: c.Writer, Context: c}
		qs := make([]*ginRequest, 0, len(names))
		for _, name := range names {
			q, err := st.begin(raw, c.Request, name)
			if err != nil {
				st.m.HandleError(raw, c.Request, err)
				c.Abort()
				return
			}
			qs = append(qs, q)
			c.Set(namedScopeKey{name}, q.sc)
			c.Writer = &commitWriter{ResponseWriter: c.Writer, Scope: q.sc}
		}
		c.Set(scopeKey{}, qs[0].sc)
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), ginRequestsKey{}, qs))
		serveAll(qs, func() { contrib(c) })
	}
}

// serveAll runs next within the Serve of every scope of qs, so that each
// commits after the handlers and discards its changes when they panic.
func serveAll(qs []*ginRequest, next func()) {
	if len(qs) == 0 {
		next()
		return
	}
	qs[0].sc.Serve(seam.Func(func() { serveAll(qs[1:], next) }))
}
