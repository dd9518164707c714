package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"syscall"
	"time"
)

// op is one kind of request a client sends.
type op int

const (
	opRead op = iota
	opWrite
	opLogin
	opLogout
	opVerify // the read-back after the load, not part of the mix
	numOps
)

var opNames = [numOps]string{"read", "write", "login", "logout", "verify"}

func (o op) String() string { return opNames[o] }

// The mix, in percent of the requests of a client that has a session. A
// client without one (at the start, after a logout, or after a login or
// logout whose outcome it cannot know) logs in first.
const (
	mixRead   = 90
	mixWrite  = 6
	mixLogin  = 3 // a renewal: the session keeps its values
	mixLogout = 100 - mixRead - mixWrite - mixLogin
)

// keysPerSession is how many keys a client writes in its session; few, so
// that values are overwritten and a stale one would show.
const keysPerSession = 4

// sessionState is what a client knows of its session.
type sessionState int

const (
	noSession sessionState = iota
	inSession
	// unknownSession: a login or logout failed, so the client cannot know
	// whether its cookie names a live session or which values it holds.
	unknownSession
)

// entry is a value the app acknowledged, and when.
type entry struct {
	value string
	at    time.Time
}

// client is one user: a cookie jar, its own random choices, and a ledger of
// what the app acknowledged.
type client struct {
	id    int
	http  *http.Client
	urls  []string
	pick  func() string
	rng   *rand.Rand
	state sessionState
	seq   int // values written so far, to make each one unique

	// ledger holds, for each key of the current session, the last value a
	// write of it was acknowledged (2xx) with. A key whose last write failed
	// is not in it until a later write is acknowledged.
	ledger map[string]entry
	// sessionAt is when the app acknowledged the login that gave the
	// current session its ID.
	sessionAt time.Time
	// unknowable holds the keys of the current session whose write got no
	// answer at all: the app may still apply it after a later write, so
	// the key is never checked again in this session.
	unknowable map[string]bool

	stats stats
}

func newClient(id int, cfg config, urls []string, transport http.RoundTripper, window *failover) *client {
	jar, _ := cookiejar.New(nil) // never fails without options
	c := &client{
		id:         id,
		http:       &http.Client{Jar: jar, Transport: transport, Timeout: cfg.timeout},
		urls:       urls,
		rng:        rand.New(rand.NewPCG(cfg.seed, uint64(id))),
		ledger:     map[string]entry{},
		unknowable: map[string]bool{},
		stats:      newStats(window),
	}
	next := id % len(urls)
	c.pick = func() string {
		if cfg.balance == balanceRoundRobin {
			next = (next + 1) % len(urls)
			return urls[next]
		}
		return urls[c.rng.IntN(len(urls))]
	}
	return c
}

// loop sends requests until stop is closed. A request in flight when stop
// closes runs to its end, so that its outcome is known.
func (c *client) loop(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		c.step()
	}
}

// step sends one request of the mix.
func (c *client) step() {
	if c.state != inSession {
		c.login()
		return
	}
	switch n := c.rng.IntN(100); {
	case n < mixRead:
		c.read(c.randomKey())
	case n < mixRead+mixWrite:
		c.write(c.randomKey())
	case n < mixRead+mixWrite+mixLogin:
		c.login()
	default:
		c.logout()
	}
}

func (c *client) randomKey() string { return fmt.Sprintf("k%d", c.rng.IntN(keysPerSession)) }

// endSession forgets the current session's ledger.
func (c *client) endSession(state sessionState) {
	c.state = state
	clear(c.ledger)
	clear(c.unknowable)
}

// sessionLost is a 401 where the client had a session: every value in its
// ledger is lost.
func (c *client) sessionLost(o op) {
	c.stats.failAt(o, "401: session lost", c.sessionAt, replicationSlack)
	for _, e := range c.ledger {
		c.stats.lose(e.at)
	}
	c.endSession(noSession)
}

func (c *client) login() {
	status, _, err := c.do(opLogin, http.MethodPost, routeLogin)
	switch {
	case err != nil || !is2xx(status):
		c.stats.failed(opLogin, status, err)
		c.endSession(unknownSession)
	case c.state == inSession:
		// A renewal: the values stay, under a new ID.
		c.sessionAt = time.Now()
	default:
		c.endSession(inSession)
		c.sessionAt = time.Now()
	}
}

func (c *client) logout() {
	status, _, err := c.do(opLogout, http.MethodPost, routeLogout)
	if err != nil || !is2xx(status) {
		c.stats.failed(opLogout, status, err)
		c.endSession(unknownSession)
		return
	}
	c.endSession(noSession) // the client's own logout: nothing in it is lost
}

func (c *client) write(key string) {
	c.seq++
	value := fmt.Sprintf("c%d-%d", c.id, c.seq)
	status, _, err := c.do(opWrite, http.MethodPost, routeWrite+key+"/"+value)
	switch {
	case err != nil:
		c.stats.failed(opWrite, status, err)
		delete(c.ledger, key)
		c.unknowable[key] = true
	case status == http.StatusUnauthorized:
		c.sessionLost(opWrite)
	case !is2xx(status):
		// The app answered, so it is done with the request: the value is
		// the old or the new one, and a later acknowledged write settles it.
		c.stats.failed(opWrite, status, nil)
		delete(c.ledger, key)
	case !c.unknowable[key]:
		c.ledger[key] = entry{value: value, at: time.Now()}
	}
}

func (c *client) read(key string) {
	status, body, err := c.do(opRead, http.MethodGet, routeRead+key)
	if err == nil && status == http.StatusUnauthorized {
		c.sessionLost(opRead)
		return
	}
	if err != nil || (status != http.StatusOK && status != http.StatusNotFound) {
		c.stats.failed(opRead, status, err)
		return
	}
	if want, ok := c.ledger[key]; ok && (status != http.StatusOK || body != want.value) {
		// The app acknowledged want and now serves something older.
		c.stats.failAt(opRead, fmt.Sprintf("%d: stale value", status), want.at, replicationSlack)
		c.stats.lose(want.at)
		delete(c.ledger, key) // counted once
	}
}

// verify reads back every value in the ledger, through the instances in
// turn, and counts those that differ as lost writes.
func (c *client) verify() {
	if c.state != inSession {
		return
	}
	for key, want := range c.ledger {
		status, body, err := c.do(opVerify, http.MethodGet, routeRead+key)
		switch {
		case err == nil && status == http.StatusUnauthorized:
			c.sessionLost(opVerify)
			return
		case err == nil && (status == http.StatusOK || status == http.StatusNotFound):
			c.stats.checked++
			if status != http.StatusOK || body != want.value {
				c.stats.lose(want.at)
				c.stats.noteLoss(fmt.Sprintf("client %d key %s: acknowledged %q at %s, read back %d %q",
					c.id, key, want.value, want.at.Format("15:04:05.000"), status, body))
			}
		default:
			c.stats.failed(opVerify, status, err)
		}
	}
}

// do sends one request and reads its whole answer; the latency counts both.
func (c *client) do(o op, method, path string) (status int, body string, err error) {
	req, err := http.NewRequest(method, c.pick()+path, nil)
	if err != nil {
		return 0, "", err
	}
	start := time.Now()
	c.stats.lastStart = start
	res, err := c.http.Do(req)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(res.Body)
		_ = res.Body.Close()
		status, body = res.StatusCode, string(b)
	}
	c.stats.lastEnd = time.Now()
	c.stats.record(o, c.stats.lastEnd.Sub(start))
	return status, body, err
}

func is2xx(status int) bool { return status >= 200 && status < 300 }

// errorKind names a transport error without the addresses and ports that
// would make each one different.
func errorKind(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no free local port"
	}
	return "transport error"
}
