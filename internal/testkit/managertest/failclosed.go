package managertest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// internalDetail is in the text of every injected store error: no response
// may show it.
const internalDetail = "dial tcp 10.0.0.7:6379: secret internal detail"

// SecurityFailClosed proves requirement 10: a store error while loading
// fails closed through the error handler (503 when the store cannot answer,
// 500 for any other failure, such as a record that cannot be read), with a
// body without internal text, no Set-Cookie, and never a new anonymous
// session.
func SecurityFailClosed(t *testing.T, newStore NewStore) {
	causes := []struct {
		name     string
		err      error
		wantCode int
	}{
		{name: "plain error", err: errors.New(internalDetail), wantCode: http.StatusInternalServerError},
		{name: "store unavailable", err: fmt.Errorf("%w: %s", store.ErrUnavailable, internalDetail), wantCode: http.StatusServiceUnavailable},
		{name: "deadline", err: fmt.Errorf("%s: %w", internalDetail, context.DeadlineExceeded), wantCode: http.StatusServiceUnavailable},
		{name: "store closed", err: fmt.Errorf("%s: %w", internalDetail, store.ErrClosed), wantCode: http.StatusServiceUnavailable},
	}
	for _, cause := range causes {
		t.Run(cause.name, func(t *testing.T) {
			st := newStore(t)
			fs := &testkit.FaultyStore{Store: st, Err: cause.err}
			env := testkit.NewStoreEnv(t, fs, manager.Options{})
			app := testkit.App(env.M)
			s, ck := env.Create(t)
			require.NoError(t, s.Set("user", "ann"))
			fs.FailLoad.Store(true)

			for _, route := range []string{"/whoami", "/create", "/login", "/renew", "/destroy", "/set?k=user&v=mallory"} {
				rec := testkit.Send(app, http.MethodPost, route, ck)
				assert.Equal(t, cause.wantCode, rec.Code, route)
				// Only the status text: the application's handler did not run.
				assert.Equal(t, http.StatusText(cause.wantCode)+"\n", rec.Body.String(), route)
				assert.Empty(t, rec.Header().Values("Set-Cookie"), route)
				assert.Contains(t, rec.Header().Values("Vary"), "Cookie", route)
			}
			assert.Equal(t, 1, env.Events.CountKind(manager.Created), "a session was created during the outage")
			assert.Zero(t, env.Events.CountKind(manager.Destroyed))

			t.Run("without the middleware", func(t *testing.T) {
				rec := httptest.NewRecorder()
				_, err := env.M.CreateSession(testkit.RequestWith(ck), rec)
				assert.ErrorIs(t, err, cause.err)
				_, err = env.M.RenewSession(testkit.RequestWith(ck), rec)
				assert.ErrorIs(t, err, cause.err)
				assert.ErrorIs(t, env.M.DestroySession(testkit.RequestWith(ck), rec), cause.err)
				assert.Nil(t, env.M.GetSession(testkit.RequestWith(ck)))
				assert.Empty(t, rec.Header().Values("Set-Cookie"))
			})

			fs.FailLoad.Store(false)
			assert.Equal(t, 1, env.M.GetSessionSize(), "a session was made during the outage")
			assert.Contains(t, testkit.Send(app, http.MethodGet, "/whoami", ck).Body.String(), "user=ann", "the session did not survive the outage")
			assert.Contains(t, env.Logs.String(), internalDetail, "the failure was not logged")
		})
	}

	t.Run("custom ErrorHandler", func(t *testing.T) {
		st := newStore(t)
		fs := &testkit.FaultyStore{Store: st, Err: errors.New(internalDetail)}
		var got []error
		env := testkit.NewStoreEnv(t, fs, manager.Options{ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			got = append(got, err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		}})
		_, ck := env.Create(t)
		fs.FailLoad.Store(true)

		rec := testkit.Send(testkit.App(env.M), http.MethodGet, "/whoami", ck)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, "try again later\n", rec.Body.String())
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		require.Len(t, got, 1)
		assert.ErrorIs(t, got[0], fs.Err)
		assert.NotContains(t, got[0].Error(), ck.Value, "the error holds the raw ID")
	})
}
