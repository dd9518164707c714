package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
)

// Install the middleware once; handlers then create, read and destroy
// sessions through the helpers.
func ExampleUseSession() {
	r := gin.New()
	r.Use(session.UseSession(session.Options{MaxInactiveInterval: 1800}, nil, nil))
	r.POST("/login", func(c *gin.Context) {
		s, err := session.CreateSession(c)
		if err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		_ = s.Set("user", "alice")
		c.Status(http.StatusNoContent)
	})
	r.GET("/private", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusUnauthorized, "log in first")
			return
		}
		user, _ := s.Get("user")
		c.String(http.StatusOK, "hello %v", user)
	})

	login := httptest.NewRecorder()
	r.ServeHTTP(login, httptest.NewRequest(http.MethodPost, "/login", nil))

	for _, cookies := range [][]*http.Cookie{nil, login.Result().Cookies()} {
		req := httptest.NewRequest(http.MethodGet, "/private", nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 401 log in first
	// 200 hello alice
}

// Share one manager between the middleware and code that works on sessions
// by ID, and watch their events.
func ExampleUseManager() {
	m := session.NewManager(session.Options{}, nil, func(s session.Session, event int) {
		switch event {
		case session.Created:
			fmt.Println("created")
		case session.Update:
			fmt.Println("updated")
		case session.Destroyed:
			fmt.Println("destroyed")
		}
	})
	defer m.Close()

	var id string
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", func(c *gin.Context) {
		s, _ := session.CreateSession(c)
		_ = s.Set("user", "alice")
		id = s.GetId() // for the admin code below; never log it
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/login", nil))

	fmt.Println("live sessions:", m.GetSessionSize())
	fmt.Println("log out everywhere:", m.DestroySessionById(id))
	fmt.Println("live sessions:", m.GetSessionSize())
	// Output:
	// created
	// updated
	// live sessions: 1
	// destroyed
	// log out everywhere: <nil>
	// live sessions: 0
}

// accountApp is the app of the per-user examples: a login that checks the
// password before calling Login, a "your devices" page, "log out
// everywhere else" and "remember me".
func accountApp(options session.Options) *gin.Engine {
	r := gin.New()
	r.Use(session.UseSession(options, nil, nil))
	r.POST("/login", func(c *gin.Context) {
		if c.Query("password") != "secret" {
			c.String(http.StatusUnauthorized, "wrong password") // the session is left alone
			return
		}
		s, err := session.Login(c, c.Query("user"))
		if err != nil {
			session.HandleError(c, err)
			return
		}
		if c.Query("remember") == "on" {
			if err := session.SetLifetime(c, 90*24*time.Hour); err != nil { // capped at Options.MaxLifetime
				session.HandleError(c, err)
				return
			}
		}
		c.String(http.StatusOK, "welcome %s", s.User())
	})
	r.GET("/devices", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusUnauthorized, "log in first")
			return
		}
		list, err := session.UserSessions(c, s.User())
		if err != nil {
			session.HandleError(c, err)
			return
		}
		for _, us := range list {
			c.String(http.StatusOK, "signed in %s, current: %v\n", us.Created.Format(time.DateOnly), us.Current)
		}
	})
	r.POST("/logout-others", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.String(http.StatusUnauthorized, "log in first")
			return
		}
		n, err := session.DestroyOtherSessions(c, s.User())
		if err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "signed out of %d other sessions", n)
	})
	return r
}

// visit serves a request for target that carries the cookies (none if nil)
// and returns the response.
func visit(r http.Handler, method, target string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// Call Login once the password checked out: it renews the visitor's
// session (or creates one) and binds it to the user.
func ExampleLogin() {
	r := accountApp(session.Options{})
	for _, password := range []string{"guess", "secret"} {
		rec := visit(r, http.MethodPost, "/login?user=ada@example.com&password="+password, nil)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 401 wrong password
	// 200 welcome ada@example.com
}

// A "your devices" page lists the user's sessions, the current one marked.
func ExampleUserSessions() {
	r := accountApp(session.Options{})
	visit(r, http.MethodPost, "/login?user=ada@example.com&password=secret", nil) // a phone
	laptop := visit(r, http.MethodPost, "/login?user=ada@example.com&password=secret", nil).Result().Cookies()
	list := visit(r, http.MethodGet, "/devices", laptop).Body.String()
	fmt.Println(strings.Count(list, "current: false"), "other,", strings.Count(list, "current: true"), "current")
	// Output: 1 other, 1 current
}

// "Log out everywhere else" ends the user's other sessions; the request's
// own goes on.
func ExampleDestroyOtherSessions() {
	r := accountApp(session.Options{})
	phone := visit(r, http.MethodPost, "/login?user=ada@example.com&password=secret", nil).Result().Cookies()
	laptop := visit(r, http.MethodPost, "/login?user=ada@example.com&password=secret", nil).Result().Cookies()
	fmt.Println(visit(r, http.MethodPost, "/logout-others", laptop).Body.String())
	fmt.Println(visit(r, http.MethodGet, "/devices", phone).Body.String())
	fmt.Println(strings.Count(visit(r, http.MethodGet, "/devices", laptop).Body.String(), "\n"), "session left")
	// Output:
	// signed out of 1 other sessions
	// log in first
	// 1 session left
}

// "Remember me": the session asks for more than MaxAge, up to the
// MaxLifetime the operator allows, and the cookie's Max-Age follows.
func ExampleSetLifetime() {
	r := accountApp(session.Options{
		MaxAge:      24 * 60 * 60,      // one day by default
		MaxLifetime: 30 * 24 * 60 * 60, // up to 30 days for those who ask
	})
	for _, remember := range []string{"off", "on"} {
		cookies := visit(r, http.MethodPost, "/login?user=ada@example.com&password=secret&remember="+remember, nil).Result().Cookies()
		fmt.Printf("remember %s: cookie lasts %d days\n", remember, cookies[len(cookies)-1].MaxAge/86400)
	}
	// Output:
	// remember off: cookie lasts 1 days
	// remember on: cookie lasts 30 days
}
