package bench

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

	"github.com/sessionkit/session/internal/pgtest"
)

// Environment variables read by the Redis benchmarks. They are the ones the
// library's own tests read, so that one setting serves both.
const (
	// envRedisURL names a Redis to use instead of starting one, for example
	// redis://127.0.0.1:6379/15. Contenders keep apart by key prefix, and
	// every key they write expires.
	envRedisURL = "REDIS_URL"
	// envRequireRedis set to 1 turns a missing redis-server into a failure,
	// so that CI cannot skip the Redis contenders unnoticed.
	envRequireRedis = "SESSION_REQUIRE_REDIS"
)

// privateRedis is the redis-server that this test process started, if any.
// It is started by the first benchmark that needs Redis and stopped by
// TestMain, so that a run of memory contenders alone starts none.
var privateRedis struct {
	once sync.Once
	cmd  *exec.Cmd
	dir  string
	opts *redis.Options
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopPrivateRedis()
	pgtest.StopShared()
	os.Exit(code)
}

// redisOptions returns how to reach the Redis of this run: REDIS_URL, or a
// private server started on first use. Without either it skips b (or fails
// it under SESSION_REQUIRE_REDIS=1).
func redisOptions(b *testing.B) *redis.Options {
	b.Helper()
	if url := os.Getenv(envRedisURL); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			b.Fatalf("%s: %v", envRedisURL, err)
		}
		return opts
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server is not installed (apt-get install redis-server) and " + envRedisURL + " is not set"
		if os.Getenv(envRequireRedis) == "1" {
			b.Fatal(msg + "; " + envRequireRedis + "=1 requires the Redis benchmarks to run")
		}
		b.Skip(msg + "; skipping the Redis benchmarks")
	}
	privateRedis.once.Do(func() { privateRedis.err = startPrivateRedis(bin) })
	if privateRedis.err != nil {
		b.Fatalf("private redis-server: %v", privateRedis.err)
	}
	opts := *privateRedis.opts
	return &opts
}

// redisClient returns a go-redis client of the run's Redis, closed when b
// ends, after checking that the server answers.
func redisClient(b *testing.B) *redis.Client {
	b.Helper()
	c := redis.NewClient(redisOptions(b))
	b.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		b.Fatalf("redis at %s does not answer: %v", c.Options().Addr, err)
	}
	return c
}

// keyPrefix returns a key prefix no other benchmark uses, so that
// contenders sharing one Redis never read each other's keys.
func keyPrefix() string {
	var r [6]byte
	_, _ = rand.Read(r[:])
	return "bench-" + hex.EncodeToString(r[:])
}

// startPrivateRedis starts redis-server on a free loopback port, without
// persistence, and waits until it answers.
func startPrivateRedis(bin string) error {
	dir, err := os.MkdirTemp("", "sessionkit-bench-redis-")
	if err != nil {
		return err
	}
	privateRedis.dir = dir
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close() // another process could take the port now; the start then fails loudly
	cmd := exec.Command(bin,
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--logfile", filepath.Join(dir, "redis.log"))
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	privateRedis.cmd = cmd
	privateRedis.opts = &redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	c := redis.NewClient(&redis.Options{Addr: privateRedis.opts.Addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			return errors.Join(fmt.Errorf("redis-server on port %d did not answer PING within 10s", port), err, errors.New(string(log)))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stopPrivateRedis stops the private server, if one was started, and
// removes its directory.
func stopPrivateRedis() {
	if cmd := privateRedis.cmd; cmd != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	if privateRedis.dir != "" {
		_ = os.RemoveAll(privateRedis.dir)
	}
}
