package e2e_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"

	"github.com/sessionkit/session/manager"
)

// disconnectKey holds the function that cancels a request's context, as
// net/http does when the client goes away.
type disconnectKey struct{}

// disconnectable gives each request a context that its handler can cancel
// with disconnect, to play a client that hangs up mid-request.
func disconnectable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, disconnectKey{}, cancel)))
	})
}

func disconnect(r *http.Request) { r.Context().Value(disconnectKey{}).(context.CancelFunc)() }

// TestRedisClientGoingAwayDoesNotCancelSessionWrites: "Store writes that
// end or change a session are not cancelled by the client going away." A
// user who clicks logout and closes the tab at once must be logged out; a
// change made before the client hung up must be stored (or the request
// fail, never a silent loss). The memory store ignores contexts; Redis
// commands are cancelled with theirs.
func TestRedisClientGoingAwayDoesNotCancelSessionWrites(t *testing.T) {
	forEachTopology(t, testRedisClientGoingAwayDoesNotCancelSessionWrites)
}

func testRedisClientGoingAwayDoesNotCancelSessionWrites(t *testing.T, tp redistest.Topology) {
	e := newEnv(t, newTopologyStore(t, tp))
	m := e.m
	app := disconnectable(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch r.URL.Path {
		case "/login":
			var s manager.Session
			if s, err = m.CreateSession(r, w); err == nil {
				err = s.Set("user", "ada")
			}
		case "/logout-and-hang-up":
			disconnect(r)
			err = m.DestroySession(r, w)
		case "/login-again-and-hang-up": // replaces the current session
			disconnect(r)
			_, err = m.CreateSession(r, w)
		case "/set-and-hang-up":
			err = m.GetSession(r).Set("theme", "dark")
			disconnect(r)
		case "/get":
			if s := m.GetSession(r); s != nil {
				v, _ := s.Get("theme")
				text, _ := v.(string)
				_, _ = io.WriteString(w, "session "+text)
				return
			}
			_, _ = io.WriteString(w, "none")
			return
		}
		if err != nil {
			m.HandleError(w, r, err)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})))

	// A request that ends the session and hangs up: the session must end.
	for _, tc := range []struct{ name, path, failure string }{
		{"logout", "/logout-and-hang-up", "the session outlived its logout"},
		{"login replacing a session", "/login-again-and-hang-up", "the replaced session lives on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.newBrowser()
			id := e.login(t, app, b)
			rec := b.send(app, http.MethodPost, tc.path)
			t.Logf("%s answered %d to a client that had gone", tc.path, rec.Code)
			assert.Nil(t, m.GetSessionById(id), tc.failure)
		})
	}
	t.Run("commit", func(t *testing.T) {
		b := e.newBrowser()
		e.login(t, app, b)
		rec := b.send(app, http.MethodPost, "/set-and-hang-up")
		t.Logf("set answered %d to a client that had gone", rec.Code)
		rec = b.send(app, http.MethodGet, "/get")
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "session dark", body(rec), "the change made before the client went away was lost")
	})
	e.end(t)
}
