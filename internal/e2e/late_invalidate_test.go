package e2e_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/redistest"
)

// TestInvalidateAfterResponseStartedReportsStoreFailure: a handler that
// answers first and invalidates the session afterwards (a logout page that
// streams its goodbye) cannot have the failure reach the client any more;
// if the store fails, the session stays alive, so the failure must at
// least be logged: errors are never swallowed. Invalidate has no error
// result, so the log is all that is left.
func TestInvalidateAfterResponseStartedReportsStoreFailure(t *testing.T) {
	forEachTopology(t, testInvalidateAfterResponseStartedReportsStoreFailure)
}

func testInvalidateAfterResponseStartedReportsStoreFailure(t *testing.T, tp redistest.Topology) {
	down := &redistest.Refuse{}
	e := newEnv(t, newTopologyStore(t, tp, down))
	m := e.m
	app := netHTTPApp(m)
	late := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "goodbye") // the commit runs here
		down.Set(isDeleteScript)            // Redis goes away
		m.GetSession(r).Invalidate()
	}))

	b := e.newBrowser()
	id := e.login(t, app, b)
	rec := b.send(late, http.MethodPost, "/logout-late")
	require.Equal(t, http.StatusOK, rec.Code)
	down.Set(nil)

	require.NotNil(t, m.GetSessionById(id), "the store failure left the session alive")
	masked := m.GetSessionById(id).GetMaskedSessionId()
	var reported bool
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, masked) {
			reported = true
		}
	}
	assert.True(t, reported, "a failed Invalidate after the response started left no error in the log:\n%s", e.logs.String())
	e.end(t)
}
