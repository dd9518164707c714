package e2e_test

import (
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/pgtest"
	"github.com/sessionkit/session/internal/redistest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	// redistest.Main exits; the shared PostgreSQL server stops first.
	redistest.Main(withPostgresStopped{m})
}

// withPostgresStopped runs the tests, then stops the PostgreSQL server
// that pgtest may have started for them.
type withPostgresStopped struct{ m *testing.M }

func (w withPostgresStopped) Run() int {
	code := w.m.Run()
	pgtest.StopShared()
	return code
}
