package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// errorHandler is the manager's Options.ErrorHandler, through
// session.GinErrorHandler: it answers a session failure with the example's
// own error page, and the status the default handler would give (see manager.Options.ErrorHandler): 503 while the store
// cannot be reached or is full, so that the user knows to try again, 409
// when another tab renewed the session first, 500 otherwise. The error
// itself goes to the log only: it may name an address or a key.
func (a *app) errorHandler(c *gin.Context, err error) {
	code, message := http.StatusInternalServerError, "Something went wrong on our side. Please try again."
	switch {
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed), errors.Is(err, store.ErrTooManySessions),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, new(net.Error)):
		code, message = http.StatusServiceUnavailable, "The session store does not answer right now. Please try again in a moment."
	case errors.Is(err, manager.ErrSessionRenewed):
		code, message = http.StatusConflict, "Another tab changed your session at the same moment. Please go back and try again."
	}
	slog.Error("session: request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "status", code, "err", err)
	if code == http.StatusServiceUnavailable {
		c.Header("Retry-After", "5")
	}
	a.writeError(c.Writer, code, message)
}

// writeError writes the error page. It shows no user and no count: the
// session, or the store, is what failed.
func (a *app) writeError(w http.ResponseWriter, code int, message string) {
	w.Header().Set("Cache-Control", "no-store")
	writePage(w, code, "error.html", page{
		Title:    http.StatusText(code),
		Instance: a.instance,
		Body:     errorPage{Code: code, Message: message},
	})
}

// notFound answers a path that no route serves.
func (a *app) notFound(c *gin.Context) {
	a.writeError(c.Writer, http.StatusNotFound, "There is no page at this address.")
}

// panicPage answers a request whose handler panicked, after gin.Recovery
// logged it. The session changes of such a request are not stored.
func (a *app) panicPage(c *gin.Context, _ any) {
	a.writeError(c.Writer, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
	c.Abort()
}
