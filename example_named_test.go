package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	session "github.com/sessionkit/session"
)

// Two managers, each with its own cookie and lifetimes, serve one route: a
// shopper's session and a short-lived admin session.
func ExampleNamed() {
	shop := session.NewManager(session.Options{CookieName: "shop"}, nil, nil)
	defer shop.Close()
	admin := session.NewManager(session.Options{CookieName: "admin", MaxInactiveInterval: 300}, nil, nil)
	defer admin.Close()

	r := gin.New()
	r.Use(session.UseManager(shop, nil), session.UseManager(admin, nil))
	r.POST("/admin/login", func(c *gin.Context) {
		s, err := session.Named(c, "admin").Create()
		if err != nil {
			session.HandleError(c, err)
			return
		}
		_ = s.Set("role", "admin")
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/admin/login", nil))
	for _, ck := range rec.Result().Cookies() {
		fmt.Println("cookie:", ck.Name)
	}
	fmt.Println("shop sessions:", shop.GetSessionSize(), "admin sessions:", admin.GetSessionSize())
	// Output:
	// cookie: admin
	// shop sessions: 0 admin sessions: 1
}
