package manager_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

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

// Log a user in only once the password checked out: Login renews the
// session the visitor already has (or creates one) and binds it to the
// user. A wrong password leaves the current session as it was.
func ExampleManager_Login() {
	m := manager.NewManager(manager.Options{}, nil, nil)
	defer m.Close()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("password") != "secret" {
			http.Error(w, "wrong password", http.StatusUnauthorized)
			return
		}
		s, err := m.Login(r, w, r.FormValue("user"))
		if err != nil {
			m.HandleError(w, r, err)
			return
		}
		fmt.Fprintf(w, "welcome %s", s.User())
	}))

	for _, password := range []string{"guess", "secret"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login?user=ada@example.com&password="+password, nil))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 401 wrong password
	// 200 welcome ada@example.com
}

// loginAs logs a new browser in as user through h and returns its cookie.
func loginAs(h http.Handler, user string) *http.Cookie {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login?user="+user, nil))
	return rec.Result().Cookies()[0]
}

// send serves a request for target that carries ck and returns its body.
func send(h http.Handler, target string, ck *http.Cookie) string {
	req := httptest.NewRequest(http.MethodPost, target, nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.String()
}

// A "your devices" page lists the sessions of the logged-in user, the
// current one marked, each with the masked ID that DestroyUserSession takes.
func ExampleManager_UserSessions() {
	m := manager.NewManager(manager.Options{}, nil, nil)
	defer m.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		_, _ = m.Login(r, w, r.FormValue("user")) // after checking the password
	})
	mux.HandleFunc("POST /devices", func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		if s == nil {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		list, err := m.UserSessions(r, s.User())
		if err != nil {
			m.HandleError(w, r, err)
			return
		}
		for _, us := range list {
			fmt.Fprintf(w, "signed in %s, current: %v\n", us.Created.Format(time.DateOnly), us.Current)
		}
	})
	h := m.Handler(mux)

	loginAs(h, "ada@example.com") // a phone
	laptop := loginAs(h, "ada@example.com")
	list := send(h, "/devices", laptop)
	fmt.Println(strings.Count(list, "current: false"), "other,", strings.Count(list, "current: true"), "current")
	// Output: 1 other, 1 current
}

// "Log out everywhere else" ends every other session of the user, on every
// instance sharing the store; the request's own session goes on.
func ExampleManager_DestroyOtherSessions() {
	m := manager.NewManager(manager.Options{}, nil, func(s manager.Session, event int) {
		if event == manager.Destroyed {
			fmt.Println("destroyed a session of", s.User())
		}
	})
	defer m.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		_, _ = m.Login(r, w, r.FormValue("user")) // after checking the password
	})
	mux.HandleFunc("POST /logout-others", func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		if s == nil {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		n, err := m.DestroyOtherSessions(r, s.User())
		if err != nil {
			m.HandleError(w, r, err)
			return
		}
		fmt.Fprintf(w, "signed out of %d other sessions", n)
	})
	h := m.Handler(mux)

	phone := loginAs(h, "ada@example.com")
	laptop := loginAs(h, "ada@example.com")
	fmt.Println(send(h, "/logout-others", laptop))
	fmt.Println("phone still signed in:", m.GetSessionById(phone.Value) != nil)
	// Output:
	// destroyed a session of ada@example.com
	// signed out of 1 other sessions
	// phone still signed in: false
}

// "Remember me": the session asks for a longer lifetime than MaxAge, up to
// the MaxLifetime the operator allows, and the cookie's Max-Age follows.
func ExampleManager_SetLifetime() {
	m := manager.NewManager(manager.Options{
		MaxAge:      24 * 60 * 60,      // one day by default
		MaxLifetime: 30 * 24 * 60 * 60, // up to 30 days for those who ask
	}, nil, nil)
	defer m.Close()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := m.Login(r, w, r.FormValue("user")); err != nil { // after checking the password
			m.HandleError(w, r, err)
			return
		}
		if r.FormValue("remember") == "on" {
			if err := m.SetLifetime(r, w, 90*24*time.Hour); err != nil { // capped at 30 days
				m.HandleError(w, r, err)
			}
		}
	}))

	for _, remember := range []string{"off", "on"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login?user=ada@example.com&remember="+remember, nil))
		cookies := rec.Result().Cookies()
		fmt.Printf("remember %s: cookie lasts %d days\n", remember, cookies[len(cookies)-1].MaxAge/86400)
	}
	// Output:
	// remember off: cookie lasts 1 days
	// remember on: cookie lasts 30 days
}
