package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/tester"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/redisstore"
)

// codecs are the Redis store's value codecs.
var codecs = []struct {
	name  string
	codec store.Codec
}{{"gob", store.Gob()}, {"json", store.JSON()}}

// newGinStoreOnRedis returns NewGinStore over a manager on a Redis store
// with the codec, closed with the test.
func newGinStoreOnRedis(t *testing.T, codec store.Codec) (sessions.Store, *manager.Manager) {
	t.Helper()
	st := redisstore.New(redistest.Client(t), redisstore.WithPrefix(redistest.Prefix()), redisstore.WithCodec(codec))
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	m := manager.NewManager(manager.Options{Store: st, GcStopChan: testkit.StoppedSweeper(), Rand: &testkit.IDRecorder{}}, nil, nil)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return session.NewGinStore(m), m
}

// TestGinStoreOnRedis: gin-contrib's own store suite passes against
// NewGinStore on the Redis store with either codec (flashes are a []any of
// strings, which both keep), and a logout ends the Redis record.
func TestGinStoreOnRedis(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			newStore := func(t *testing.T) sessions.Store { st, _ := newGinStoreOnRedis(t, c.codec); return st }
			t.Run("GetSet", func(t *testing.T) { tester.GetSet(t, newStore) })
			t.Run("DeleteKey", func(t *testing.T) { tester.DeleteKey(t, newStore) })
			t.Run("Flashes", func(t *testing.T) { tester.Flashes(t, newStore) })
			t.Run("Clear", func(t *testing.T) { tester.Clear(t, newStore) })
			t.Run("Options", func(t *testing.T) { tester.Options(t, newStore) })
			t.Run("Many", func(t *testing.T) { tester.Many(t, newStore) })
			t.Run("logout", func(t *testing.T) { ginStoreLogoutOnRedis(t, c.codec) })
		})
	}
}

func ginStoreLogoutOnRedis(t *testing.T, codec store.Codec) {
	st, m := newGinStoreOnRedis(t, codec)
	r := gin.New()
	r.Use(session.Sessions("mysession", st))
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", "alice")
		s.AddFlash("welcome")
		require.NoError(t, s.Save())
	})
	r.POST("/logout", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Options(sessions.Options{MaxAge: -1})
		require.NoError(t, s.Save())
	})
	r.GET("/whoami", func(c *gin.Context) { c.String(http.StatusOK, "%v", sessions.Default(c).Get("user")) })
	send := func(method, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec
	}
	cookies := send(http.MethodPost, "/login").Result().Cookies()
	require.Len(t, cookies, 1)
	id := cookies[0].Value
	assert.Equal(t, []any{"welcome"}, testkit.ValueOf(m, id, "_flash"))
	assert.Equal(t, "alice", strings.TrimSpace(send(http.MethodGet, "/whoami", cookies...).Body.String()))

	send(http.MethodPost, "/logout", cookies...)
	assert.Nil(t, m.GetSessionById(id), "the Redis record is gone")
	assert.Equal(t, "<nil>", send(http.MethodGet, "/whoami", cookies...).Body.String())
}
