package e2e_test

import (
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/redistest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	redistest.Main(m)
}
