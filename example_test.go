package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

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
