package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/manager"
)

// instance is one application instance: an HTTP server on its own
// loopback port with its own session manager.
type instance struct {
	url    string
	srv    *http.Server
	m      *session.Manager
	closer io.Closer // the instance's Redis client
	served chan error
}

// Routes of the app. Values travel in the path so that requests need no
// body.
const (
	routeLogin  = "/login"
	routeLogout = "/logout"
	routeRead   = "/read/"  // + key
	routeWrite  = "/write/" // + key/value
)

// startInstance starts an instance over the store from be, logging to
// logger.
func startInstance(be *backend, logger *slog.Logger) (*instance, error) {
	st, closer := be.newStore()
	m := session.NewManager(session.Options{Store: st, Logger: logger}, nil, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = m.Close()
		_ = closer.Close()
		return nil, err
	}
	in := &instance{
		url:    "http://" + l.Addr().String(),
		srv:    &http.Server{Handler: newRouter(m), ReadHeaderTimeout: 10 * time.Second},
		m:      m,
		closer: closer,
		served: make(chan error, 1),
	}
	go func() { in.served <- in.srv.Serve(l) }()
	return in, nil
}

// appLogger returns the instances' logger: errors only, and only with
// -applog, since the clients count every failed request anyway and a
// failover would print thousands of lines.
func appLogger(cfg config) *slog.Logger {
	if !cfg.appLog {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// stop shuts the server down, then closes its manager and Redis client.
func (in *instance) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := in.srv.Shutdown(ctx)
	if serveErr := <-in.served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return errors.Join(err, in.m.Close(), in.closer.Close())
}

// newRouter is the app: log in (a renewal when the request has a session),
// log out, read and write one key of the session. Without a session, reads
// and writes answer 401; a key the session lacks reads as 404.
func newRouter(m *session.Manager) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST(routeLogin, func(c *gin.Context) {
		s, err := session.RenewSession(c) // a new ID on login, keeping the values
		if errors.Is(err, manager.ErrNoSession) {
			s, err = session.CreateSession(c)
		}
		if err != nil {
			session.HandleError(c, err)
			return
		}
		if err := s.Set("user", "load"); err != nil {
			session.HandleError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	r.POST(routeLogout, func(c *gin.Context) {
		if err := session.DestroySession(c); err != nil {
			session.HandleError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	r.GET(routeRead+":key", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		v, ok := s.Get(c.Param("key"))
		if !ok {
			c.Status(http.StatusNotFound)
			return
		}
		text, _ := v.(string)
		c.String(http.StatusOK, text)
	})
	r.POST(routeWrite+":key/:value", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		if err := s.Set(c.Param("key"), c.Param("value")); err != nil {
			session.HandleError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	return r
}
