// Command example is a small web app that shows sessionkit at work: a login
// form, a private page that shows the session, ID renewal and logout.
//
//	go run ./example -addr localhost:8080
//
// Stop it with Ctrl-C: it finishes the requests in flight, then stops the
// session manager.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sessionkit/session"
)

// shutdownGrace bounds how long a stopping server waits for requests in
// flight, so that a stuck client cannot keep the process alive.
const shutdownGrace = 10 * time.Second

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on (host:port)")
	flag.Parse()
	if err := run(*addr); err != nil {
		slog.Error("example stopped", "err", err)
		os.Exit(1)
	}
}

// options is the one place the session settings are made, so that a later
// flag (a shared Redis store, say) changes only this function.
func options() session.Options {
	return session.Options{
		MaxInactiveInterval: 1800,  // idle timeout: 30 minutes
		MaxAge:              86400, // absolute lifetime: one day
	}
}

// run serves on addr until SIGINT or SIGTERM, then shuts down in order: the
// HTTP server first, so that no request uses the manager after it closes.
func run(addr string) error {
	m := session.NewManager(options(), nil, logEvent)
	defer m.Close() // safe twice; covers the early returns

	// Listening before logging makes a busy port fail here, and lets the log
	// show the real address when the port was 0.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newRouter(m),
		ReadHeaderTimeout: 10 * time.Second, // slow-header clients must not pin connections
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	slog.Info("listening", "url", "http://"+ln.Addr().String())

	select {
	case err := <-served:
		return err // Serve only returns early on failure
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C now kills the process at once
	slog.Info("shutting down")

	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return m.Close()
}
