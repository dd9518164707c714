package e2e_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/manager"
)

// requestAPI is what the app's handlers need of a request's session work.
// The net/http middleware and the Gin one reach it differently; the app is
// the same on both, so that the tests exercise both commit paths.
type requestAPI struct {
	get         func() manager.Session
	create      func() (manager.Session, error)
	renew       func() (manager.Session, error)
	destroy     func() error
	size        func() int
	handleError func(error)
}

// cookieName is the name of the session cookie: the tests' managers keep
// the default.
const cookieName = session.DefaultKey

// Statuses the app answers besides 200, where the handler (not the
// session middleware) chose the answer.
const (
	statusNoSession = http.StatusUnauthorized // the request has no session
	statusGone      = http.StatusConflict     // another request ended or renewed it first
)

// serveApp is the tests' application. Routes:
//
//	POST /login        new session with user=<user>
//	POST /renew        new ID for the session
//	POST /logout       destroy the session and expire the cookie
//	POST /invalidate   Session.Invalidate
//	POST /set          set k=v (query), or delete k when v is empty
//	POST /set-renew    set k=v, then renew
//	POST /renew-set    renew, then set k=v
//	GET  /get          the value of k, as text
//	GET  /whoami       "none", or the masked ID, creation time and values
//	GET  /size         the number of live sessions
func serveApp(api requestAPI, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	set := func(s manager.Session) error {
		if v := q.Get("v"); v != "" {
			return s.Set(q.Get("k"), v)
		}
		return s.Delete(q.Get("k"))
	}
	answer := func(err error) {
		switch {
		case err == nil:
			_, _ = io.WriteString(w, "ok")
		case errors.Is(err, manager.ErrNoSession):
			http.Error(w, "no session", statusNoSession)
		case errors.Is(err, manager.ErrSessionGone):
			http.Error(w, "session gone", statusGone)
		default:
			api.handleError(err)
		}
	}
	switch r.URL.Path {
	case "/login":
		s, err := api.create()
		if err == nil {
			err = s.Set("user", q.Get("user"))
		}
		answer(err)
	case "/renew":
		_, err := api.renew()
		answer(err)
	case "/logout":
		answer(api.destroy())
	case "/invalidate":
		s := api.get()
		if s == nil {
			answer(manager.ErrNoSession)
			return
		}
		s.Invalidate()
		answer(nil)
	case "/set", "/set-renew", "/renew-set":
		s := api.get()
		if s == nil {
			answer(manager.ErrNoSession)
			return
		}
		var err error
		switch r.URL.Path {
		case "/set":
			err = set(s)
		case "/set-renew":
			if err = set(s); err == nil {
				_, err = api.renew()
			}
		case "/renew-set":
			if s, err = api.renew(); err == nil {
				err = set(s)
			}
		}
		answer(err)
	case "/get":
		s := api.get()
		if s == nil {
			answer(manager.ErrNoSession)
			return
		}
		v, _ := s.Get(q.Get("k"))
		text, _ := v.(string)
		_, _ = io.WriteString(w, text)
	case "/whoami":
		s := api.get()
		if s == nil {
			_, _ = io.WriteString(w, "none")
			return
		}
		var values []string
		for _, k := range s.Keys() {
			v, _ := s.Get(k)
			values = append(values, fmt.Sprintf("%s=%v", k, v))
		}
		_, _ = fmt.Fprintf(w, "%s created=%d keys=%s", s.GetMaskedSessionId(), s.GetCreationTime(), strings.Join(values, ","))
	case "/size":
		_, _ = fmt.Fprint(w, api.size())
	default:
		http.NotFound(w, r)
	}
}

// netHTTPApp serves the app through the net/http middleware, m.Handler.
func netHTTPApp(m *manager.Manager) http.Handler {
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveApp(requestAPI{
			get:         func() manager.Session { return m.GetSession(r) },
			create:      func() (manager.Session, error) { return m.CreateSession(r, w) },
			renew:       func() (manager.Session, error) { return m.RenewSession(r, w) },
			destroy:     func() error { return m.DestroySession(r, w) },
			size:        m.GetSessionSize,
			handleError: func(err error) { m.HandleError(w, r, err) },
		}, w, r)
	}))
}

// ginApp serves the app through the Gin middleware, session.UseManager,
// with gin.New: no Recovery, so that a panic fails the test. carrier is
// the gin-contrib store that carries the session ID, nil for the built-in
// cookie.
func ginApp(m *manager.Manager, carrier sessions.Store) http.Handler {
	r := gin.New()
	r.Use(session.UseManager(m, carrier))
	r.Any("/*path", func(c *gin.Context) {
		serveApp(requestAPI{
			get:         func() manager.Session { return session.GetSession(c) },
			create:      func() (manager.Session, error) { return session.CreateSession(c) },
			renew:       func() (manager.Session, error) { return session.RenewSession(c) },
			destroy:     func() error { return session.DestroySession(c) },
			size:        func() int { return session.GetSessionSize(c) },
			handleError: func(err error) { session.HandleError(c, err) },
		}, c.Writer, c.Request)
	})
	return r
}

// browser holds one session cookie, shared by every goroutine that sends
// its requests, as the tabs of one browser share it: the last response that
// sets or expires the cookie wins.
type browser struct {
	name   string // the cookie's name
	cookie lockedString
}

// send serves one request of the browser on h, in process, and returns the
// response.
func (b *browser) send(h http.Handler, method, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if id := b.cookie.load(); id != "" {
		req.AddCookie(&http.Cookie{Name: b.name, Value: id})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name != b.name {
			continue
		}
		if c.MaxAge < 0 {
			b.cookie.store("")
		} else {
			b.cookie.store(c.Value)
		}
	}
	return rec
}

// clone returns a browser that holds b's cookie now and its own from then
// on: a copy of the cookie, replayed or used in parallel.
func (b *browser) clone() *browser {
	c := &browser{name: b.name}
	c.cookie.store(b.cookie.load())
	return c
}

// body returns the response body without surrounding white space.
func body(rec *httptest.ResponseRecorder) string { return strings.TrimSpace(rec.Body.String()) }

// lockedString is a string that several goroutines read and replace.
type lockedString struct {
	mu sync.Mutex
	s  string
}

func (l *lockedString) load() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

func (l *lockedString) store(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s = s
}
