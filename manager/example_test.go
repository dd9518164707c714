package manager_test

import (
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

// For an API without Gin, TokenHandler reads the session from a header of
// the application's choice and sends new tokens in the same header; the
// handlers use the manager's methods as behind Handler.
func ExampleManager_TokenHandler() {
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
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := m.DestroySession(r, w); err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		}
	})
	h := m.TokenHandler("X-Session-Token", mux)

	login := httptest.NewRecorder()
	h.ServeHTTP(login, httptest.NewRequest(http.MethodPost, "/login", nil))
	token := login.Header().Get("X-Session-Token")
	fmt.Println("token:", manager.IsValidID(token), "cookies:", len(login.Result().Cookies()))

	logout := httptest.NewRequest(http.MethodPost, "/logout", nil)
	logout.Header.Set("X-Session-Token", token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, logout)
	fmt.Printf("after logout: %q, sessions: %d\n", rec.Header().Values("X-Session-Token"), m.GetSessionSize())
	// Output:
	// token: true cookies: 0
	// after logout: [""], sessions: 0
}
