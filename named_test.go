package session_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// TestNamedSessionsOfSeveralManagers: two managers with their own cookie
// names serve one route; each session is reached by its name, and ending
// one leaves the other.
func TestNamedSessionsOfSeveralManagers(t *testing.T) {
	managers, r := twoManagers(t)
	r.POST("/login/:name", func(c *gin.Context) {
		s, err := session.Named(c, c.Param("name")).Create()
		if err != nil {
			session.HandleError(c, err)
			return
		}
		_ = s.Set("who", c.Param("name"))
	})
	r.POST("/logout/:name", func(c *gin.Context) {
		reply(c, session.Named(c, c.Param("name")).Destroy(), http.StatusInternalServerError, "bye")
	})
	r.POST("/renew/:name", func(c *gin.Context) {
		_, err := session.Named(c, c.Param("name")).Renew()
		reply(c, err, http.StatusConflict, "renewed")
	})
	r.GET("/who/:name", func(c *gin.Context) {
		if who, ok := session.Value[string](session.Named(c, c.Param("name")).Session(), "who"); ok {
			c.String(http.StatusOK, who)
			return
		}
		c.String(http.StatusOK, "none")
	})
	r.GET("/default", func(c *gin.Context) {
		who, _ := session.Value[string](session.GetSession(c), "who")
		c.String(http.StatusOK, who)
	})
	r.POST("/unknown", func(c *gin.Context) {
		_, err := session.Named(c, "nobody").Create()
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		_, err = session.Named(c, "nobody").Renew()
		assert.ErrorIs(t, err, session.ErrNoMiddleware)
		assert.ErrorIs(t, session.Named(c, "nobody").Destroy(), session.ErrNoMiddleware)
		assert.Nil(t, session.Named(c, "nobody").Session())
	})
	b := newClient(t, serve(t, r))

	for _, name := range []string{"user-session", "admin-session"} {
		status, _ := b.post("/login/" + name)
		require.Equal(t, http.StatusOK, status)
		assert.NotEmpty(t, b.cookie(name))
		assert.Equal(t, 1, managers[name].GetSessionSize())
	}
	for _, name := range []string{"user-session", "admin-session"} {
		_, body := b.get("/who/" + name)
		assert.Equal(t, name, body)
	}
	_, body := b.get("/default")
	assert.Equal(t, "admin-session", body, "the helpers without a name: the middleware installed last")

	oldUser, oldAdmin := b.cookie("user-session"), b.cookie("admin-session")
	status, _ := b.post("/renew/admin-session")
	require.Equal(t, http.StatusOK, status)
	assert.NotEqual(t, oldAdmin, b.cookie("admin-session"), "renewed: a new ID")
	assert.Equal(t, oldUser, b.cookie("user-session"), "the other session is left alone")
	assert.Nil(t, managers["admin-session"].GetSessionById(oldAdmin))
	_, body = b.get("/who/admin-session")
	assert.Equal(t, "admin-session", body, "with its values")

	status, _ = b.post("/logout/admin-session")
	require.Equal(t, http.StatusOK, status)
	_, body = b.get("/who/admin-session")
	assert.Equal(t, "none", body)
	_, body = b.get("/who/user-session")
	assert.Equal(t, "user-session", body)
	b.post("/unknown")
}

// TestManagerMethodsOfSeveralManagersThroughGin: with two managers on one
// route, each manager's own methods called with c.Request reach the
// session its middleware holds, not a second lookup of its cookie whose
// writes would bypass the request's commit.
func TestManagerMethodsOfSeveralManagersThroughGin(t *testing.T) {
	managers, r := twoManagers(t)
	r.POST("/login/:name", func(c *gin.Context) {
		_, err := session.Named(c, c.Param("name")).Create()
		reply(c, err, http.StatusInternalServerError, "in")
	})
	r.GET("/same", func(c *gin.Context) {
		for name, m := range managers {
			held := session.Named(c, name).Session()
			require.NotNil(t, held, name)
			assert.Same(t, held, m.GetSession(c.Request), "%s: the manager looked its cookie up again", name)
		}
	})
	b := newClient(t, serve(t, r))
	for name := range managers {
		status, _ := b.post("/login/" + name)
		require.Equal(t, http.StatusOK, status)
	}
	status, _ := b.get("/same")
	assert.Equal(t, http.StatusOK, status)
}

// twoManagers returns an engine on which two managers, with the cookie
// names "user-session" and "admin-session" and one test clock, each have
// their middleware, and the managers by cookie name.
func twoManagers(t *testing.T) (map[string]*session.Manager, *gin.Engine) {
	t.Helper()
	clock := testkit.NewClock()
	managers := map[string]*session.Manager{}
	r := gin.New()
	for _, name := range []string{"user-session", "admin-session"} {
		opts := testOptions(clock)
		opts.CookieName = name
		managers[name] = newTestManager(t, opts, nil)
		r.Use(session.UseManager(managers[name], nil))
	}
	return managers, r
}
