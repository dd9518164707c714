package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/memstore"
	gsessions "github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

// sizeWatchingStore is a gin-contrib store that counts the oversized cookies
// it was asked to decode.
type sizeWatchingStore struct {
	sessions.Store
	oversizedDecodes int
}

func (s *sizeWatchingStore) New(r *http.Request, name string) (*gsessions.Session, error) {
	if ck, err := r.Cookie(name); err == nil && len(ck.Value) > manager.MaxCookieSize {
		s.oversizedDecodes++
	}
	return s.Store.New(r, name)
}

// Found by FuzzContribCarrier: WriteID and ClearID handed an oversized
// cookie to the store's decoder, which only ReadID refused.
func TestContribCarrierNeverDecodesAnOversizedCookie(t *testing.T) {
	oversized := strings.Repeat("A", manager.MaxCookieSize+1)
	stores := []struct {
		name string
		new  func() sessions.Store
	}{
		{"gin-contrib cookie", func() sessions.Store { return cookie.NewStore(carrierKey) }},
		{"gin-contrib memstore", func() sessions.Store { return memstore.NewStore(carrierKey) }},
	}
	routes := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/whoami", http.StatusOK},         // ReadID
		{http.MethodPost, "/create", http.StatusOK},        // WriteID
		{http.MethodPost, "/destroy", http.StatusOK},       // ClearID
		{http.MethodPost, "/login", http.StatusOK},         // WriteID
		{http.MethodGet, "/private", http.StatusForbidden}, // ReadID
	}
	for _, st := range stores {
		for _, route := range routes {
			t.Run(st.name+route.path, func(t *testing.T) {
				watching := &sizeWatchingStore{Store: st.new()}
				m := newTestManager(t, testOptions(testkit.NewClock()), nil)
				app := newApp(m, watching)
				r := httptest.NewRequest(route.method, route.path, nil)
				r.Header.Set("Cookie", session.DefaultKey+"="+oversized)
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, r)
				assert.Equal(t, route.status, rec.Code)
				assert.Zero(t, watching.oversizedDecodes, "the store decoded an oversized cookie")
			})
		}
	}
}
