package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
)

// A gin-contrib/sessions application changes one line: the store. Its
// handlers stay as they were, and its sessions now end on the server.
func ExampleNewGinStore() {
	m := session.NewManager(session.Options{}, nil, func(s session.Session, event int) {
		if event == session.Destroyed {
			fmt.Println("destroyed on the server")
		}
	})
	defer m.Close()

	r := gin.New()
	// Was: r.Use(sessions.Sessions("mysession", cookie.NewStore(secret)))
	r.Use(session.Sessions("mysession", session.NewGinStore(m)))
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", "alice")
		_ = s.Save()
	})
	r.GET("/whoami", func(c *gin.Context) {
		c.String(http.StatusOK, "%v", sessions.Default(c).Get("user"))
	})
	r.POST("/logout", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Options(sessions.Options{MaxAge: -1})
		_ = s.Save()
	})

	send := func(method, path string, cookies []*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec
	}
	cookies := send(http.MethodPost, "/login", nil).Result().Cookies()
	fmt.Println(send(http.MethodGet, "/whoami", cookies).Body, "live:", m.GetSessionSize())
	send(http.MethodPost, "/logout", cookies)
	fmt.Println(send(http.MethodGet, "/whoami", cookies).Body, "live:", m.GetSessionSize())
	// Output:
	// alice live: 1
	// destroyed on the server
	// <nil> live: 0
}

// Answer session failures with the application's own JSON.
func ExampleGinErrorHandler() {
	m := session.NewManager(session.Options{
		ErrorHandler: session.GinErrorHandler(func(c *gin.Context, err error) {
			// err may hold internal detail: log it, do not send it.
			c.JSON(http.StatusServiceUnavailable, gin.H{"error": "please try again"})
		}),
	}, nil, nil)
	defer m.Close()
	r := gin.New()
	r.Use(session.UseManager(m, nil))
	r.POST("/login", func(c *gin.Context) {
		if _, err := session.CreateSession(c); err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "welcome")
	})

	m.Close() // the store is closed: creating a session fails
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 503 {"error":"please try again"}
}

// A login handler written for gin-contrib sets "user" and saves. Naming
// that key renews the session's ID at the login's Save, even under
// gin-contrib's own middleware: a session cookie planted before login
// (here by a flash) is not logged in.
func ExampleRenewWhenSet() {
	m := session.NewManager(session.Options{}, nil, nil)
	defer m.Close()

	r := gin.New()
	r.Use(sessions.Sessions("mysession", session.NewGinStore(m, session.RenewWhenSet("user"))))
	r.POST("/flash", func(c *gin.Context) {
		s := sessions.Default(c)
		s.AddFlash("welcome")
		_ = s.Save()
	})
	r.POST("/login", func(c *gin.Context) { // unchanged
		s := sessions.Default(c)
		s.Set("user", "alice")
		_ = s.Save()
	})
	r.GET("/whoami", func(c *gin.Context) {
		c.String(http.StatusOK, "%v", sessions.Default(c).Get("user"))
	})

	send := func(method, path string, cookies []*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec
	}
	planted := send(http.MethodPost, "/flash", nil).Result().Cookies()
	renewed := send(http.MethodPost, "/login", planted).Result().Cookies()
	fmt.Println("new ID:", renewed[0].Value != planted[0].Value)
	fmt.Println("victim:", send(http.MethodGet, "/whoami", renewed).Body)
	fmt.Println("attacker:", send(http.MethodGet, "/whoami", planted).Body)
	// Output:
	// new ID: true
	// victim: alice
	// attacker: <nil>
}
