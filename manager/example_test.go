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
