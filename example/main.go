// Command example is a small web app that shows sessionkit at work: a login
// form, a private page that shows the session, ID renewal and logout.
//
//	go run ./example -addr localhost:8080
//
// By default sessions live in the process's memory. With -redis they live in
// Redis, so that several instances share them:
//
//	go run ./example -addr localhost:8080 -redis redis://127.0.0.1:6379/0
//	go run ./example -addr localhost:8081 -redis redis://127.0.0.1:6379/0
//
// A browser sends its localhost cookie to both ports, so a login on one
// instance is seen on the other, and a logout on either ends it on both.
//
// Stop it with Ctrl-C: it finishes the requests in flight, then stops the
// session manager and closes the Redis client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/sessionkit/session"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// shutdownGrace bounds how long a stopping server waits for requests in
// flight, so that a stuck client cannot keep the process alive.
const shutdownGrace = 10 * time.Second

// pingTimeout bounds the check that Redis answers at startup, so that an
// address that drops packets fails in seconds rather than hanging.
const pingTimeout = 5 * time.Second

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on (host:port)")
	redisURL := flag.String("redis", "", "keep sessions in the Redis at this URL, e.g. redis://127.0.0.1:6379/0 (default: in memory)")
	flag.Parse()
	if os.Getenv(gin.EnvGinMode) == "" {
		// Gin's debug mode prints warnings and every route at startup, which
		// bury the one line that says where the example listens.
		gin.SetMode(gin.ReleaseMode)
	}
	if err := run(*addr, *redisURL); err != nil {
		slog.Error("example stopped", "err", err)
		os.Exit(1)
	}
}

// options is the one place the session settings are made. st is where the
// sessions live: nil keeps them in this process's memory.
func options(st store.Store) session.Options {
	return session.Options{
		MaxInactiveInterval: 1800,  // idle timeout: 30 minutes
		MaxAge:              86400, // absolute lifetime: one day
		Store:               st,
	}
}

// run serves on addr until SIGINT or SIGTERM, then shuts down in order: the
// HTTP server first, so that no request uses the manager after it closes,
// then the manager, then the Redis client the manager's store uses.
func run(addr, redisURL string) error {
	var st store.Store // nil: in memory
	where := "memory"
	if redisURL != "" {
		client, err := openRedis(redisURL)
		if err != nil {
			return err
		}
		defer closeRedis(client) // deferred first, so it runs after m.Close
		st = redisstore.New(client)
		where = "redis at " + client.Options().Addr // never the URL: it may hold a password
	}
	m := session.NewManager(options(st), nil, logEvent)
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
	slog.Info("listening", "url", listenURL(addr, ln.Addr()), "sessions", where)

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

// listenURL is the address to open in a browser: the host as the user wrote
// it (cookies of localhost and 127.0.0.1 differ, and the README says to use
// localhost) with the port the listener got (the flag's may be 0).
func listenURL(addr string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(addr)
	_, port, err2 := net.SplitHostPort(bound.String())
	if err != nil || err2 != nil {
		return "http://" + bound.String()
	}
	if host == "" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// openRedis connects to the Redis at rawURL and checks that it answers, so
// that a wrong URL or a stopped server stops the program at startup rather
// than failing its first request. Errors never quote the URL: it may hold a
// password.
func openRedis(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// url.Parse's errors quote the whole URL; keep only the reason.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("-redis: not a Redis URL (want redis://[user:password@]host:port/db): %w", err)
	}
	failFast(opts)
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		// A Redis that answers with an error (a wrong password, a database
		// index out of range) is running: say what it said, not that it is
		// not there.
		var refused redis.Error
		if errors.As(err, &refused) {
			return nil, fmt.Errorf("-redis: Redis at %s refused the connection: %w", opts.Addr, err)
		}
		return nil, fmt.Errorf("-redis: Redis at %s does not answer (is redis-server running?): %w", opts.Addr, err)
	}
	return client, nil
}

// failFast makes a request answer its 503 quickly while Redis is down, unless
// the URL set these itself: go-redis's defaults dial 5 times before giving
// up, so a request would wait seconds for its error page.
func failFast(opts *redis.Options) {
	if opts.DialTimeout == 0 { // the URL did not set dial_timeout
		opts.DialTimeout = 500 * time.Millisecond
	}
	opts.DialerRetries = 1
}

// closeRedis closes the client at shutdown, logging a failure: the program
// is stopping either way.
func closeRedis(client *redis.Client) {
	if err := client.Close(); err != nil {
		slog.Warn("closing the Redis client failed", "err", err)
	}
}
