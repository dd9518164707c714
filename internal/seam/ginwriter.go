package seam

import (
	"bufio"
	"errors"
	"net"
	"net/http"
)

// This file holds the writers of a Gin request's session work. They live
// here, not in the root package, so that package manager can hold them in
// the request's scope: the scope and its writers then cost one allocation.

// ErrCommitFailed is returned by writes to a response whose session
// changes could not be stored. Package manager exports it as
// manager.ErrCommitFailed.
var ErrCommitFailed = errors.New("session: session changes could not be stored")

// ResponseWriter is the method set of gin.ResponseWriter, named here
// without importing gin; the root package checks at compile time that the
// two stay the same.
type ResponseWriter interface {
	http.ResponseWriter
	http.Hijacker
	http.Flusher
	// CloseNotify is http.CloseNotifier's method, which gin's writer still
	// has; spelled out, so that the deprecated type is not named here.
	CloseNotify() <-chan bool
	Status() int
	Size() int
	WriteString(string) (int, error)
	Written() bool
	WriteHeaderNow()
	Pusher() http.Pusher
}

// Committer is what a [CommitWriter] asks before the response's first
// byte: a [Scope].
type Committer interface {
	CommitBeforeWrite() bool
	// ErrorAnswer points at the flag that is set while the response is an
	// error answer let through after a failed commit (see [CommitWriter]):
	// the last status written was 400 or more, and the error handler had
	// written nothing. The scope holds it, in room its allocation has
	// spare: in the writer it would move the scope to a larger size class.
	ErrorAnswer() *bool
}

// CommitWriter stores the session before the first byte of the response,
// so that a failure can still become an error response.
//
// After a failed commit it drops what is written, with one exception: when
// the error handler wrote nothing (it recorded the error for a middleware
// further out to render, Gin's usual way), an answer with an error status
// (400 and up) goes through, so that the application's own rendering of the
// failure reaches the client instead of Gin's default 200. An answer with a
// success status stays dropped: the write it reports was lost.
type CommitWriter struct {
	ResponseWriter
	Scope Committer
}

// WriteHeader commits first, except for an interim (1xx) status. After a
// failed commit it drops the status, unless it is an error status and the
// error handler wrote nothing (see [CommitWriter]).
func (w *CommitWriter) WriteHeader(code int) {
	if IsInterimStatus(code) || w.Scope.CommitBeforeWrite() {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	errorAnswer := w.Scope.ErrorAnswer()
	*errorAnswer = code >= http.StatusBadRequest && (*errorAnswer || !w.ResponseWriter.Written())
	if *errorAnswer {
		w.ResponseWriter.WriteHeader(code)
	}
}

// WriteHeaderNow commits first, as WriteHeader does.
func (w *CommitWriter) WriteHeaderNow() {
	if w.Scope.CommitBeforeWrite() || *w.Scope.ErrorAnswer() {
		w.ResponseWriter.WriteHeaderNow()
	}
}

// Write commits first; after a failed commit it writes nothing and
// returns ErrCommitFailed, except in an error answer (see [CommitWriter]).
func (w *CommitWriter) Write(b []byte) (int, error) {
	if !w.Scope.CommitBeforeWrite() && !*w.Scope.ErrorAnswer() {
		return 0, ErrCommitFailed
	}
	return w.ResponseWriter.Write(b)
}

// WriteString commits first, as Write does.
func (w *CommitWriter) WriteString(s string) (int, error) {
	if !w.Scope.CommitBeforeWrite() && !*w.Scope.ErrorAnswer() {
		return 0, ErrCommitFailed
	}
	return w.ResponseWriter.WriteString(s)
}

// Flush keeps streaming handlers working.
func (w *CommitWriter) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController calls: it reports a failed
// commit, where Flush must stay silent, as the net/http face's writer does;
// without it the controller would call Flush and report success for a
// stream that goes nowhere.
func (w *CommitWriter) FlushError() error {
	if !w.Scope.CommitBeforeWrite() && !*w.Scope.ErrorAnswer() {
		return ErrCommitFailed
	}
	w.ResponseWriter.Flush()
	return nil
}

// Hijack keeps WebSocket upgrades working; the session is stored first.
func (w *CommitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.Scope.CommitBeforeWrite() {
		return nil, nil, ErrCommitFailed
	}
	return w.ResponseWriter.Hijack()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *CommitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// GinResponse is the writer that the session work of a Gin request sends
// cookies and error responses to: gin's own, beside the request's
// *gin.Context (Context), which the root package's GinErrorHandler hands
// to the application.
type GinResponse struct {
	ResponseWriter
	Context any
}

// GinWriters are the writers of a Gin request's session work, held in its
// scope (see [Hooks].BeginGin).
type GinWriters struct {
	// Commit wraps gin's writer: the middleware makes it the request's.
	Commit CommitWriter
	// Raw is gin's writer, which the scope sends cookies and error
	// responses to.
	Raw GinResponse
}
