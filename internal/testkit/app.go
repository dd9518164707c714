package testkit

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/manager"
)

// MultipartBody returns a multipart/form-data body with one field, name
// set to value, and its Content-Type: a place where a session ID must never
// be read from.
func MultipartBody(t testing.TB, name, value string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField(name, value))
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

// App is Routes behind m.Handler, for tests that drive a manager through
// requests with the session cookie.
func App(m *manager.Manager) http.Handler { return m.Handler(Routes(m)) }

// Routes is a small application of m's sessions, to serve behind m.Handler
// or m.TokenHandler. It routes on the last element of the path, so that it
// serves under any cookie Path:
//
//	create      CreateSession
//	login       a login done right: renew the session, or create one
//	renew       RenewSession; 409 when it fails
//	destroy     DestroySession
//	invalidate  Session.Invalidate
//	set         Set(?k, ?v); 404 without a session
//	whoami      "none", or the session's masked ID and values
//
// Any other error answers 500 "failed"; success answers "ok".
func Routes(m *manager.Manager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.GetSession(r)
		var err error
		switch path.Base(r.URL.Path) {
		case "create":
			_, err = m.CreateSession(r, w)
		case "login":
			if s == nil {
				s, err = m.CreateSession(r, w)
			} else {
				s, err = m.RenewSession(r, w)
			}
			if err == nil {
				err = s.Set("user", "victim")
			}
		case "renew":
			if _, err = m.RenewSession(r, w); err != nil {
				http.Error(w, "renew failed", http.StatusConflict)
				return
			}
		case "destroy":
			err = m.DestroySession(r, w)
		case "invalidate":
			if s != nil {
				s.Invalidate()
			}
		case "set":
			if s == nil {
				http.Error(w, "no session", http.StatusNotFound)
				return
			}
			err = s.Set(r.URL.Query().Get("k"), r.URL.Query().Get("v"))
		case "whoami":
			if s == nil {
				_, _ = io.WriteString(w, "none")
				return
			}
			_, _ = fmt.Fprintf(w, "%s %s", s.GetMaskedSessionId(), strings.Join(KeyValues(s), ","))
			return
		default:
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "failed", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
}

// KeyValues returns "key=value" for each key of s, sorted by key.
func KeyValues(s manager.Session) []string {
	var out []string
	for _, k := range s.Keys() {
		v, _ := s.Get(k)
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	return out
}

// Send runs h on a request for target that carries cookies (nil ones are
// left out) and returns the response.
func Send(h http.Handler, method, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for _, ck := range cookies {
		if ck != nil {
			r.AddCookie(ck)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// Get is Send for a GET.
func Get(h http.Handler, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	return Send(h, http.MethodGet, target, cookies...)
}

// SendRawCookie runs h on a GET of target whose Cookie header is exactly
// name=value, however malformed value is.
func SendRawCookie(h http.Handler, target, name, value string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Cookie", name+"="+value)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// ValueOf returns the stored value of key in the session id, or nil when
// there is no such session or key.
func ValueOf(m *manager.Manager, id, key string) any {
	s := m.GetSessionById(id)
	if s == nil {
		return nil
	}
	v, _ := s.Get(key)
	return v
}
