package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/store"
)

// newFaultySite serves the example over a store whose operations the test
// can make fail.
func newFaultySite(t *testing.T) (*site, *testkit.FaultyStore) {
	t.Helper()
	st := testkit.NewFaultyStore()
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return startSite(t, config{store: st, instance: "test-instance"}, captureLogs(t)), st
}

// assertErrorPage checks that body is the example's error page for code.
func assertErrorPage(t *testing.T, body string, code int) {
	t.Helper()
	assert.Contains(t, body, "<title>"+http.StatusText(code)+" · sessionkit example</title>")
	assert.Contains(t, body, `<p class="code">`+strconv.Itoa(code)+`</p>`)
	assert.Contains(t, body, `<link rel="stylesheet" href="/static/style.css">`)
	assert.Contains(t, body, "Answered by instance <strong id=\"instance\">test-instance</strong>")
	assert.NotContains(t, body, testkit.ErrInjected.Error(), "the error's text stays in the log")
}

func TestNotFoundPage(t *testing.T) {
	a := newSite(t)
	resp, body := a.get("/no/such/page")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assertErrorPage(t, body, http.StatusNotFound)
}

func TestStoreDownAnswersServiceUnavailablePage(t *testing.T) {
	a, st := newFaultySite(t)
	a.login("alice")
	st.Err = fmt.Errorf("%w: %w", testkit.ErrInjected, store.ErrUnavailable) // Redis down
	st.FailLoad.Store(true)

	resp, body := a.get("/private")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assertErrorPage(t, body, http.StatusServiceUnavailable)
	assert.Contains(t, body, "The session store does not answer right now.")
	assert.Contains(t, a.logs.String(), testkit.ErrInjected.Error(), "the error goes to the log")
}

func TestFailedLoginAnswersErrorPage(t *testing.T) {
	a, st := newFaultySite(t)
	st.FailCreate.Store(true)
	resp, body := a.post("/login", url.Values{"user": {"alice"}})
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "the store failed without saying it is unavailable")
	assertErrorPage(t, body, http.StatusInternalServerError)
	assert.Empty(t, a.cookie())
}

func TestCountIsUnknownWhileStoreFails(t *testing.T) {
	a, st := newFaultySite(t)
	st.FailCount.Store(true)
	resp, body := a.get("/")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the login form still works")
	assert.Contains(t, body, "Live sessions: <span id=\"live\">unknown (the session store does not answer)</span>")
	assert.NotContains(t, body, shownLive("0"))
}

func TestPanicAnswersErrorPage(t *testing.T) {
	captureLogs(t)
	a := newApp(config{instance: "test-instance"})
	t.Cleanup(func() { require.NoError(t, a.m.Close()) })
	r := newRouter(a)
	r.GET("/boom", func(*gin.Context) { panic("boom") })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assertErrorPage(t, rec.Body.String(), http.StatusInternalServerError)
}
