package e2e_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteRacingRenewalIsNotAnswered200AndLost: one tab saves a setting
// while another tab logs in and so renews the session. The save, answered
// after the renewal, must either land on the renewed session or be
// answered with an error: "A write is never answered 200 and then lost: a
// commit that cannot land (..., a renewal in between that cannot be
// followed) goes to ErrorHandler."
func TestWriteRacingRenewalIsNotAnswered200AndLost(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			e := newEnv(t, kind.newStore(t))
			setHeld, renewed := make(chan struct{}), make(chan struct{})
			m := e.m
			app := netHTTPApp(m)
			slow := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := m.GetSession(r).Set("theme", "dark"); err != nil {
					m.HandleError(w, r, err)
					return
				}
				close(setHeld)
				<-renewed // the other tab renews before this response starts
				_, _ = io.WriteString(w, "saved")
			}))

			saver := e.newBrowser()
			e.login(t, app, saver)
			renewer := e.newBrowser()
			renewer.cookie.store(saver.cookie.load())

			saved := make(chan *httptest.ResponseRecorder)
			go func() { saved <- saver.send(slow, http.MethodPost, "/save") }()
			<-setHeld
			rec := renewer.send(app, http.MethodPost, "/renew")
			require.Equal(t, http.StatusOK, rec.Code, body(rec))
			close(renewed)
			rec = <-saved

			if rec.Code != http.StatusOK {
				t.Logf("the save was answered %d: the client knows it failed", rec.Code)
			} else {
				got := renewer.send(app, http.MethodGet, "/get?k=theme")
				require.Equal(t, http.StatusOK, got.Code)
				assert.Equal(t, "dark", body(got), "the save was answered 200 and is not in the renewed session")
			}
			e.end(t)
		})
	}
}
