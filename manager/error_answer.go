package manager

import (
	"bufio"
	"net"
	"net/http"
)

// heldStatusWriter is a writer that tells whether its response went out
// and which status it holds, as Gin's does: a status written to it before
// the body is kept and sent when the response ends.
type heldStatusWriter interface {
	http.ResponseWriter
	Written() bool
	Status() int
}

// customAnswer runs Options.ErrorHandler and makes sure the request is not
// answered as a success when the handler wrote nothing: a request whose
// session failed must never end in the 200 net/http or Gin sends for a
// handler that answered nothing.
func (m *Manager) customAnswer(w http.ResponseWriter, r *http.Request, err error) {
	code := errorStatus(err)
	if hw, ok := w.(heldStatusWriter); ok {
		m.opts.ErrorHandler(w, r, err)
		// Gin's writer holds 200 until something sets a status: any other
		// (a redirect's 303, a deliberate 204) is the handler's answer.
		if !hw.Written() && hw.Status() == http.StatusOK {
			// Held, not sent: a middleware further out may still render
			// its own error answer (see GinErrorHandler).
			w.WriteHeader(code)
		}
		return
	}
	t := &answerTracker{ResponseWriter: w}
	m.opts.ErrorHandler(t, r, err)
	if !t.wrote {
		http.Error(w, http.StatusText(code), code)
	}
}

// answerTracker notes whether an error handler wrote anything. Unwrap lets
// http.ResponseController reach the writer under it.
type answerTracker struct {
	http.ResponseWriter
	wrote bool
}

func (t *answerTracker) WriteHeader(code int) {
	if code >= http.StatusOK { // an informational status answers nothing yet
		t.wrote = true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *answerTracker) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *answerTracker) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// Flush sends what was written, and the headers: an answer (200 if nothing
// set a status) once it has. The writer below may not flush; then nothing
// happens, as with net/http's own.
func (t *answerTracker) Flush() {
	t.wrote = true
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

// Hijack hands over the connection, if the writer below can: the handler
// then answers on it itself.
func (t *answerTracker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(t.ResponseWriter).Hijack()
	if err == nil {
		t.wrote = true
	}
	return conn, rw, err
}
