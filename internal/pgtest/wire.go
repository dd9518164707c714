package pgtest

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Wire watches the connections of the pools it makes: it counts round
// trips, and it can lose the reply of a statement after PostgreSQL ran it,
// as a connection that breaks at the wrong moment does.
type Wire struct {
	trips atomic.Int64

	mu   sync.Mutex
	lose [][]byte // lose the reply of the next write holding each
	lost int
}

// Pool returns a pool of at most maxConns connections to url, each watched
// by w, closed when the test ends.
func (w *Wire) Pool(t testing.TB, url string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg.MaxConns = maxConns
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		wc := &wireConn{Conn: c, w: w}
		wc.read.Store(true) // the startup message is a round trip of its own
		return wc, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// During runs f and returns how many round trips its statements cost: how
// many times a connection sent something after it had read a reply.
func (w *Wire) During(f func()) int64 {
	before := w.trips.Load()
	f()
	return w.trips.Load() - before
}

// LoseReplyOnce makes the next write that holds marker reach PostgreSQL,
// and the connection then break before its reply is read: what the write
// asked for ran, the caller never learns.
//
// pgx prepares a statement in a round trip of its own, the only write that
// carries the statement's text, and that round trip runs nothing; later
// writes carry the statement's parameters. So a marker taken from the text
// loses a prepare; to lose the reply of a statement that ran, take the
// marker from a parameter as it travels (a fingerprint's bytes, a time's
// binary int8).
func (w *Wire) LoseReplyOnce(marker string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lose = append(w.lose, []byte(marker))
}

// Lost returns how many replies were lost so far.
func (w *Wire) Lost() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lost
}

// takeLoss reports whether the reply of a write of b is to be lost.
func (w *Wire) takeLoss(b []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, m := range w.lose {
		if bytes.Contains(b, m) {
			w.lose = append(w.lose[:i], w.lose[i+1:]...)
			w.lost++
			return true
		}
	}
	return false
}

// lossDelay is how long a doomed connection waits before it breaks, so
// that PostgreSQL has run what it was sent.
const lossDelay = 300 * time.Millisecond

type wireConn struct {
	net.Conn
	w      *Wire
	read   atomic.Bool // a reply was read since the last write
	doomed atomic.Bool
}

func (c *wireConn) Write(b []byte) (int, error) {
	if c.read.Swap(false) {
		c.w.trips.Add(1)
	}
	if c.w.takeLoss(b) {
		c.doomed.Store(true)
	}
	return c.Conn.Write(b)
}

func (c *wireConn) Read(b []byte) (int, error) {
	if c.doomed.Load() {
		time.Sleep(lossDelay)
		_ = c.Conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.read.Store(true)
	}
	return n, err
}
