package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
)

// Serve a JSON API beside the pages with one manager: the pages carry the
// session in a cookie, the API in "Authorization: Bearer <token>". The API
// hands out its token in the Session-Token response header, never in a
// cookie.
func ExampleUseTokens() {
	m := session.NewManager(session.Options{}, nil, nil)
	defer m.Close()

	r := gin.New()
	pages := r.Group("/", session.UseManager(m, nil))
	pages.GET("/", func(c *gin.Context) {
		if session.GetSession(c) == nil {
			c.String(http.StatusOK, "welcome, stranger")
			return
		}
		c.String(http.StatusOK, "welcome back")
	})
	api := r.Group("/api", session.UseTokens(m, ""))
	api.POST("/login", func(c *gin.Context) {
		s, err := session.CreateSession(c)
		if err != nil {
			session.HandleError(c, err)
			return
		}
		_ = s.Set("user", "alice")
		c.JSON(http.StatusOK, gin.H{"user": "alice"})
	})
	api.GET("/me", func(c *gin.Context) {
		s := session.GetSession(c)
		if s == nil {
			c.JSON(http.StatusUnauthorized, gin.H{"error": "log in first"})
			return
		}
		user, _ := s.Get("user")
		c.JSON(http.StatusOK, gin.H{"user": user})
	})

	login := httptest.NewRecorder()
	r.ServeHTTP(login, httptest.NewRequest(http.MethodPost, "/api/login", nil))
	token := login.Header().Get(session.TokenHeader)
	fmt.Println("cookies set:", len(login.Result().Cookies()), "cache:", login.Header().Get("Cache-Control"))

	for _, auth := range []string{"", "Bearer " + token} {
		req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String(), "Vary:", rec.Header().Get("Vary"))
	}

	// The same session is the pages' when the token comes as their cookie.
	page := httptest.NewRequest(http.MethodGet, "/", nil)
	page.AddCookie(&http.Cookie{Name: session.DefaultKey, Value: token})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, page)
	fmt.Println(rec.Body.String())
	// Output:
	// cookies set: 0 cache: no-store
	// 401 {"error":"log in first"} Vary: Authorization
	// 200 {"user":"alice"} Vary: Authorization
	// welcome back
}
