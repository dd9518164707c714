package manager_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/sessionkit/session/manager"
)

// Without Gin, Handler is the middleware and the manager's methods take the
// request, as the original package's did.
func ExampleManager_Handler() {
	m := manager.NewManager(manager.Options{}, nil, nil)
	defer m.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, err := m.CreateSession(r, w)
		if err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		_ = s.Set("user", "alice")
	})
	mux.HandleFunc("GET /private", func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		if s == nil {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		user, _ := s.Get("user")
		fmt.Fprintf(w, "hello %v", user)
	})
	h := m.Handler(mux)

	login := httptest.NewRecorder()
	h.ServeHTTP(login, httptest.NewRequest(http.MethodPost, "/login", nil))
	req := httptest.NewRequest(http.MethodGet, "/private", nil)
	req.AddCookie(login.Result().Cookies()[0])
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: hello alice
}

// Metrics reads the manager's counters without slowing its requests down;
// CountSessions asks the store how many sessions live. A monitoring system
// reads both when it scrapes (contrib/prometheus does, for Prometheus).
func ExampleManager_Metrics() {
	m := manager.NewManager(manager.Options{}, nil, nil)
	defer m.Close()

	login := httptest.NewRecorder()
	_, _ = m.CreateSession(httptest.NewRequest(http.MethodPost, "/login", nil), login)
	logout := httptest.NewRequest(http.MethodPost, "/logout", nil)
	logout.AddCookie(login.Result().Cookies()[0])
	_ = m.DestroySession(logout, httptest.NewRecorder())
	_, _ = m.CreateSession(httptest.NewRequest(http.MethodPost, "/login", nil), httptest.NewRecorder())

	s := m.Metrics()
	live, err := m.CountSessions(context.Background())
	fmt.Println("created:", s.Created, "logged out:", s.Destroyed.Logout, "live:", live, err)
	// Output: created: 2 logged out: 1 live: 1 <nil>
}
