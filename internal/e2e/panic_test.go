package e2e_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
)

// TestPanickingGinHandlerCommitsNothing: "A request whose handler panicked
// commits nothing." Under gin.Recovery (which gin.Default installs) a
// handler that changed one value and panicked before the next must leave
// the session as it was: its change was half of something. Recovery
// answers 500 through c.Writer, which the session middleware replaced with
// its committing writer.
func TestPanickingGinHandlerCommitsNothing(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			e := newEnv(t, kind.newStore(t))
			r := gin.New()
			r.Use(gin.RecoveryWithWriter(io.Discard), session.UseManager(e.m, nil))
			r.POST("/login", func(c *gin.Context) {
				s, err := session.CreateSession(c)
				if err != nil {
					session.HandleError(c, err)
					return
				}
				_ = s.Set("balance", "100")
				c.String(http.StatusOK, "ok")
			})
			r.POST("/transfer", func(c *gin.Context) {
				s := session.GetSession(c)
				_ = s.Set("balance", "0")
				panic("bug between the debit and the credit")
			})
			r.GET("/balance", func(c *gin.Context) {
				v, _ := session.GetSession(c).Get("balance")
				c.String(http.StatusOK, "%v", v)
			})

			b := e.newBrowser()
			e.login(t, r, b)
			rec := b.send(r, http.MethodPost, "/transfer")
			require.Equal(t, http.StatusInternalServerError, rec.Code)
			rec = b.send(r, http.MethodGet, "/balance")
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, "100", body(rec), "the panicking request's change was committed")
			e.end(t)
		})
	}
}
