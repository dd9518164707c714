package prometheus_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	session "github.com/sessionkit/session"
	sessionprom "github.com/sessionkit/session/contrib/prometheus"
)

// A Gin app that serves its session metrics on /metrics.
func ExampleNewCollector() {
	gin.SetMode(gin.ReleaseMode)
	m := session.NewManager(session.Options{}, nil, nil)
	defer m.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(sessionprom.NewCollector(m))

	r := gin.New()
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	r.Use(session.UseManager(m, nil))
	r.POST("/login", func(c *gin.Context) {
		if _, err := session.CreateSession(c); err != nil {
			session.HandleError(c, err)
			return
		}
		c.String(http.StatusOK, "welcome")
	})

	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/login", nil))
	scrape := httptest.NewRecorder()
	r.ServeHTTP(scrape, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	lines := bufio.NewScanner(scrape.Body)
	for lines.Scan() {
		if line := lines.Text(); strings.HasPrefix(line, "sessionkit_sessions_") {
			fmt.Println(line)
		}
	}
	// Output:
	// sessionkit_sessions_created_total 1
	// sessionkit_sessions_destroyed_total{cause="absolute"} 0
	// sessionkit_sessions_destroyed_total{cause="expired"} 0
	// sessionkit_sessions_destroyed_total{cause="idle"} 0
	// sessionkit_sessions_destroyed_total{cause="logout"} 0
	// sessionkit_sessions_destroyed_total{cause="replaced"} 0
	// sessionkit_sessions_destroyed_total{cause="user_cap"} 0
	// sessionkit_sessions_live 1
	// sessionkit_sessions_refused_total 0
	// sessionkit_sessions_renewed_total 0
}
