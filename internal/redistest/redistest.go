// Package redistest gives tests a real Redis: the one named by REDIS_URL, or
// a private redis-server on a free loopback port that the test run starts and
// stops. Tests that need Redis call [Client] or [Start]; without a
// redis-server binary they skip with a clear message, or fail when
// SESSION_REQUIRE_REDIS=1 (CI sets it, so Redis tests can never be skipped
// there unnoticed).
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Environment variables read by this package.
const (
	// EnvURL names a Redis to use instead of starting one, for example
	// redis://127.0.0.1:6379/15. Tests keep apart by key prefix.
	EnvURL = "REDIS_URL"
	// EnvRequire set to 1 turns a missing redis-server into a test failure.
	EnvRequire = "SESSION_REQUIRE_REDIS"
)

// Server is a redis-server process private to the test run.
type Server struct {
	// Addr is host:port of the server, on the loopback interface.
	Addr string

	dir  string
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start starts a private redis-server for one test and stops it when the test
// ends. Extra arguments go to redis-server, for example "--appendonly",
// "yes". Use Start when the test must stop or restart the server; otherwise
// prefer [Client].
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := requireBinary(t)
	s, err := startServer(bin, t.TempDir(), extra)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(s.kill)
	return s
}

// Stop kills the server at once, as a crash would (SIGKILL): whatever it
// acknowledged but did not persist is lost.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.kill()
}

// Restart starts the server again on the same port and data directory, and
// waits until it answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.kill()
	if err := s.run(); err != nil {
		t.Fatalf("redistest: restart: %v", err)
	}
}

// NewClient returns a client of the server, closed when the test ends. Its
// timeouts are short and it dials once per attempt, so that requests to a
// stopped server fail fast.
func (s *Server) NewClient(t testing.TB) *redis.Client {
	t.Helper()
	c := s.newClient()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Client returns a client of the Redis for this test run: REDIS_URL when set,
// otherwise a private server shared by the tests of one package and stopped
// by [Main]. Tests share it and keep apart with [Prefix].
func Client(t testing.TB) *redis.Client {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("redistest: %s: %v", EnvURL, err)
		}
		c := redis.NewClient(opts)
		t.Cleanup(func() { _ = c.Close() })
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Fatalf("redistest: %s does not answer: %v", EnvURL, err)
		}
		return c
	}
	bin := requireBinary(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "redistest-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.server, shared.err = startServer(bin, dir, nil)
	})
	if shared.err != nil {
		t.Fatalf("redistest: %v", shared.err)
	}
	return shared.server.NewClient(t)
}

// Prefix returns a key prefix no other test uses, so that tests sharing one
// Redis never see each other's keys.
func Prefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "test-" + hex.EncodeToString(b[:])
}

// Main runs the tests of a package, stops the shared server that [Client]
// may have started, and prints one line when Redis tests were skipped (see
// reportSkips). Call it from TestMain:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// m is a *testing.M, or one wrapped to do more after the tests (stop
// another shared server).
func Main(m interface{ Run() int }) {
	code := m.Run()
	StopShared()
	reportSkips()
	os.Exit(code)
}

// StopShared stops the shared server that [Client] may have started, and
// the shared deployments of [Topology.Client], and removes their files. A
// TestMain that does more than [Main] calls it after m.Run.
func StopShared() {
	if shared.server != nil {
		shared.server.kill()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	stopSharedDeployments()
}

var shared struct {
	once   sync.Once
	server *Server
	dir    string
	err    error
}

func requireBinary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err == nil {
		return bin
	}
	skipOrFail(t, "redistest: redis-server is not installed (apt-get install redis-server), and "+EnvURL+" is not set")
	return ""
}

// skipOrFail skips the test with msg, or fails it when EnvRequire is set.
func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatal(msg + "; " + EnvRequire + "=1 requires Redis tests to run")
	}
	noteSkip(msg)
	t.Skip(msg + "; skipping Redis tests")
}

func startServer(bin, dir string, extra []string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startServerOn(bin, dir, port, extra)
}

// startServerOn starts a redis-server on port whose files (log, RDB,
// cluster config) live in dir.
func startServerOn(bin, dir string, port int, extra []string) (*Server, error) {
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir}
	s.args = append([]string{
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--protected-mode", "yes",
		"--logfile", filepath.Join(dir, "redis.log"),
	}, extra...)
	s.args = append([]string{bin}, s.args...)
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) run() error {
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	if err := waitReady(s.Addr); err != nil {
		s.kill()
		return fmt.Errorf("redis-server on %s: %w\n%s", s.Addr, err, s.Log())
	}
	return nil
}

func (s *Server) kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

func waitReady(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(errors.New("did not answer PING within 10s"), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before redis-server binds it; the start then fails loudly.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
