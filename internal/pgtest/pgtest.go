// Package pgtest gives tests a real PostgreSQL: the one named by PG_URL, or
// a private server on a free loopback port that the test run initialises
// (initdb) and starts in a temporary directory, and stops. Tests that need
// PostgreSQL call [Pool] or [Start]; without the server's programs they skip
// with a clear message, or fail when SESSION_REQUIRE_POSTGRES=1 (CI sets
// it, so PostgreSQL tests can never be skipped there unnoticed).
//
// initdb refuses to run as root. Run as root, the package runs the server's
// programs as the "postgres" user (which Debian's packages create), in a
// directory that user owns.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Environment variables read by this package.
const (
	// EnvURL names a PostgreSQL to use instead of starting one, for example
	// postgres://postgres@127.0.0.1:5432/test. Tests keep apart by table name.
	EnvURL = "PG_URL"
	// EnvRequire set to 1 turns missing PostgreSQL programs into a test failure.
	EnvRequire = "SESSION_REQUIRE_POSTGRES"
)

// Server is a PostgreSQL server private to the test run.
type Server struct {
	// URL is the connection string of the server's "postgres" database.
	URL string

	bin  string // directory of initdb and postgres
	dir  string // owns data/ and the socket
	port int
	cred *syscall.Credential // nil: run as the current user

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start starts a private server for one test and removes it when the test
// ends. Use Start when the test must stop or restart the server; otherwise
// prefer [Pool].
func Start(t testing.TB) *Server {
	t.Helper()
	bin := requireBinaries(t)
	s, err := startServer(bin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.remove)
	return s
}

// Stop shuts the server down at once (PostgreSQL's immediate mode, as a
// crash would), dropping every connection; what it committed survives.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop(syscall.SIGQUIT)
}

// Restart starts the server again on the same port and data, and waits
// until it accepts connections.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stop(syscall.SIGQUIT)
	if err := s.run(); err != nil {
		t.Fatalf("pgtest: restart: %v", err)
	}
}

// NewPool returns a pool of connections to the server, closed when the test
// ends.
func (s *Server) NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return newPool(t, s.URL)
}

// Pool returns a pool of connections to PG_URL when it is set, otherwise to
// a private server shared by the tests of one package and stopped by
// [Main]. The pool is closed when the test ends. Tests sharing the server
// keep apart by table name (see [Table]).
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		return newPool(t, url)
	}
	bin := requireBinaries(t)
	shared.once.Do(func() { shared.server, shared.err = startServer(bin) })
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err)
	}
	return newPool(t, shared.server.URL)
}

// URL returns what [Pool] connects to, starting the shared server if need
// be, for a test that makes its own pools.
func URL(t testing.TB) string {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		return url
	}
	Pool(t)
	return shared.server.URL
}

// Table returns a table name no other test uses.
func Table() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "sk_test_" + hex.EncodeToString(b)
}

// Main runs the tests of a package and then stops the shared server that
// [Pool] may have started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// StopShared stops the shared server that [Pool] may have started and
// removes its files. A TestMain that does more than [Main] calls it after
// m.Run.
func StopShared() {
	if shared.server != nil {
		shared.server.remove()
	}
}

var shared struct {
	once   sync.Once
	server *Server
	err    error
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// requireBinaries returns the directory of initdb and postgres: on PATH, or
// in the newest of Debian's versioned directories, which are off PATH.
func requireBinaries(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "postgres")); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	msg := "pgtest: PostgreSQL's initdb and postgres are not installed (apt-get install postgresql), and " + EnvURL + " is not set"
	if os.Getenv(EnvRequire) == "1" {
		t.Fatal(msg + "; " + EnvRequire + "=1 requires PostgreSQL tests to run")
	}
	t.Skip(msg + "; skipping PostgreSQL tests")
	return ""
}

// version reads the major version from /usr/lib/postgresql/<v>/bin.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func startServer(bin string) (*Server, error) {
	base := "" // the temporary directory
	if os.Geteuid() == 0 {
		// The postgres user must reach the directory; TMPDIR may lie under
		// a directory only root may enter, /tmp never does.
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		if s.cred, err = postgresUser(); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	if err := s.run(); err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

// postgresUser returns the credentials of the "postgres" user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and initdb refuses root: %w (apt-get install postgresql creates the user)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// run starts postgres itself rather than through pg_ctl, so that the kernel
// stops it when the test binary dies (a crashed run leaves no server), and
// waits until it accepts connections. fsync is off: the tests stop the
// server, not the machine, and what a commit wrote to the kernel survives a
// killed server. Commits stay synchronous, so an acknowledged write is in
// the log before the client hears of it, as in production.
func (s *Server) run() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	log, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(s.port), "-k", s.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			s.cmd = nil
			logText, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			return fmt.Errorf("postgres exited: %v: %s", err, logText)
		default:
		}
		if ready(s.URL) {
			go func() { <-exited }() // reaped by whoever stops it, or here
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("postgres did not accept connections within 30 s")
}

// ready reports whether the server answers a query.
func ready(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return false
	}
	defer pool.Close()
	return pool.Ping(ctx) == nil
}

// stop signals the server and waits until its port is free. SIGQUIT is
// PostgreSQL's immediate shutdown: no checkpoint, recovery at the next start.
func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s.cmd.Process.Signal(syscall.Signal(0)) != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = s.cmd.Process.Kill()
	s.cmd = nil
	// The postmaster's children leave shortly after it; wait for the port.
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), 100*time.Millisecond)
		if err != nil {
			return
		}
		_ = c.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

// remove stops the server and deletes its files.
func (s *Server) remove() {
	s.stop(syscall.SIGQUIT)
	_ = os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
