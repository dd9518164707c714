// Command example is a small web app that shows sessionkit at work: a login
// form with "Keep me logged in", a private page that shows the session, ID
// renewal, the user's sessions on every device with "log out this session"
// and "log out everywhere else", a live feed of this instance's session
// events, styled error pages, and logout.
//
//	go run ./example -addr localhost:8080
//
// By default sessions live in the process's memory. With -redis they live in
// Redis, so that several instances share them:
//
//	go run ./example -addr localhost:8080 -redis redis://127.0.0.1:6379/0
//	go run ./example -addr localhost:8081 -redis redis://127.0.0.1:6379/0
//
// With -postgres they live in PostgreSQL instead (the store creates its
// tables on first start):
//
//	go run ./example -addr localhost:8080 -postgres postgres://postgres@127.0.0.1:5432/test
//	go run ./example -addr localhost:8081 -postgres postgres://postgres@127.0.0.1:5432/test
//
// A browser sends its localhost cookie to both ports, so a login on one
// instance is seen on the other, and a logout on either ends it on both.
// Every page names the instance that answered it (-name, by default the
// listen address).
//
// GET /metrics serves the session metrics in Prometheus's format (through
// contrib/prometheus), on the app's listener when it is a loopback address.
// On any other address it is served only on a listener of its own, so that
// it can be kept off the network:
//
//	go run ./example -addr :8080 -metrics-addr 127.0.0.1:9090
//
// Stop it with Ctrl-C: it finishes the requests in flight, then stops the
// session manager and closes the Redis client or the PostgreSQL pool.
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
	"strings"
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

// readHeaderTimeout keeps slow-header clients from pinning connections.
const readHeaderTimeout = 10 * time.Second

// flags are the command line's settings.
type flags struct {
	addr        string // where the app listens
	redisURL    string // Redis to keep the sessions in, or ""
	postgresURL string // PostgreSQL to keep the sessions in, or ""
	name        string // the instance's name; "": the listen address
	metricsAddr string // a listener of its own for /metrics, or ""
}

func main() {
	var f flags
	flag.StringVar(&f.addr, "addr", "localhost:8080", "address to listen on (host:port)")
	flag.StringVar(&f.redisURL, "redis", "", "keep sessions in the Redis at this URL, e.g. redis://127.0.0.1:6379/0 (default: in memory)")
	flag.StringVar(&f.postgresURL, "postgres", "", "keep sessions in the PostgreSQL at this URL, e.g. postgres://postgres@127.0.0.1:5432/test (default: in memory)")
	flag.StringVar(&f.name, "name", "", "name of this instance, shown on every page (default: the listen address)")
	flag.StringVar(&f.metricsAddr, "metrics-addr", "", "serve /metrics on a listener of its own at this address, e.g. 127.0.0.1:9090 (default: on -addr when it is loopback, else nowhere)")
	flag.Parse()
	if f.redisURL != "" && f.postgresURL != "" {
		slog.Error("give -redis or -postgres, not both")
		os.Exit(2)
	}
	if os.Getenv(gin.EnvGinMode) == "" {
		// Gin's debug mode prints warnings and every route at startup, which
		// bury the one line that says where the example listens.
		gin.SetMode(gin.ReleaseMode)
	}
	if err := run(f); err != nil {
		slog.Error("example stopped", "err", err)
		os.Exit(1)
	}
}

// config is what an instance is built from.
type config struct {
	store    store.Store // where the sessions live; nil: in this process's memory
	secure   bool        // send the cookie with Secure (see secureCookie)
	instance string      // the name every page shows
	// metricsWithApp serves /metrics on the app's routes (see metricsWithApp).
	metricsWithApp bool
}

// newApp builds the example's manager and state from cfg. Close its
// manager when done.
func newApp(cfg config) *app {
	a := &app{feed: newFeed(), instance: cfg.instance, started: time.Now(), metricsWithApp: cfg.metricsWithApp}
	a.m = session.NewManager(a.options(cfg), nil, eventHandler(a.feed))
	a.metrics = newMetricsHandler(a.m)
	return a
}

// options is the one place the session settings are made.
//
// A session lives 8 hours from its login (a working day) unless the user
// ticks "Keep me logged in", which extends it to 30 days (MaxLifetime, the
// most SetLifetime may give). Either way, a week without a visit ends it:
// an idle timeout shorter than that would make "Keep me logged in" keep
// nobody logged in.
func (a *app) options(cfg config) session.Options {
	opts := session.Options{
		MaxInactiveInterval: 7 * 24 * 3600,                  // idle timeout: a week
		MaxAge:              8 * 3600,                       // absolute lifetime: 8 hours
		MaxLifetime:         int(rememberFor / time.Second), // "Keep me logged in": 30 days
		Secure:              cfg.secure,
		Store:               cfg.store,
		ErrorHandler:        session.GinErrorHandler(a.errorHandler),
	}
	if !cfg.secure {
		opts.Logger = slog.New(loopbackLogs{slog.Default().Handler()})
	}
	return opts
}

// run serves on f.addr until SIGINT or SIGTERM, then shuts down in order:
// the HTTP servers first, so that no request uses the manager after it
// closes, then the manager, then the Redis client or PostgreSQL pool the
// manager's store uses.
func run(f flags) error {
	addr, redisURL, postgresURL, name := f.addr, f.redisURL, f.postgresURL, f.name
	cfg := config{secure: secureCookie(addr), metricsWithApp: metricsWithApp(addr, f.metricsAddr)}
	where := "memory"
	if redisURL != "" {
		client, err := openRedis(redisURL)
		if err != nil {
			return err
		}
		defer closeRedis(client) // deferred first, so it runs after m.Close
		cfg.store = redisstore.New(client)
		where = "redis at " + client.Options().Addr // never the URL: it may hold a password
	}
	if postgresURL != "" {
		pool, pgStore, err := openPostgres(postgresURL)
		if err != nil {
			return err
		}
		defer pool.Close() // deferred first, so it runs after m.Close
		cfg.store = pgStore
		where = "postgres at " + pool.Config().ConnConfig.Host // never the URL: it may hold a password
	}

	// Listening before logging makes a busy port fail here, and lets the log
	// show the real address when the port was 0.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	link := listenURL(addr, ln.Addr())
	cfg.instance = name
	if cfg.instance == "" {
		cfg.instance = strings.TrimPrefix(link, "http://")
	}
	a := newApp(cfg)
	defer a.m.Close() // safe twice; covers the early returns
	srv := &http.Server{
		Handler:           newRouter(a),
		ReadHeaderTimeout: readHeaderTimeout,
	}
	// Shutdown waits for requests to end, and a live feed never ends by
	// itself: close the feeds as the shutdown begins.
	srv.RegisterOnShutdown(a.feed.close)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	slog.Info("listening", "url", link, "instance", cfg.instance, "sessions", where, "secure_cookie", cfg.secure)
	var metricsSrv *http.Server
	switch {
	case f.metricsAddr != "":
		var bound net.Addr
		metricsSrv, bound, err = serveMetrics(f.metricsAddr, a.metrics)
		if err != nil {
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		defer metricsSrv.Close() // covers the early returns; safe twice
		slog.Info("metrics", "url", "http://"+bound.String()+"/metrics")
	case cfg.metricsWithApp:
		slog.Info("metrics", "url", link+"/metrics")
	default:
		slog.Info("metrics are not served: the app listens beyond loopback; give -metrics-addr to serve them on a listener of their own")
	}

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
	if metricsSrv != nil {
		// Closed at once, not drained: a scrape has nothing to finish, and
		// one after the manager closes would find no store to count.
		_ = metricsSrv.Close()
	}
	return a.m.Close()
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
