package session

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
)

// GinErrorHandler adapts h for Options.ErrorHandler, so that a Gin
// application answers session failures (the store down, a failed commit, a
// lost renewal race) as it answers everything else, say with its own JSON:
//
//	session.Options{ErrorHandler: session.GinErrorHandler(func(c *gin.Context, err error) {
//		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})
//	})}
//
// h gets the request's gin.Context, whose writes reach the client (the
// handler's own response, if any, is dropped), and the error, which may
// hold internal detail: log it, do not send it. The chain is aborted after
// h returns.
//
// h may instead only record the error, _ = c.Error(err), for a middleware
// further out to render after c.Next, Gin's usual way. When h writes
// nothing and sets no status (a redirect does), the status the default
// ErrorHandler would send (503 for a store that is down, 409 for
// ErrSessionRenewed, else 500) is recorded on Gin's writer without being
// sent; after a failed commit, an answer whose status
// is 400 or more then goes out through c.Writer, and with none Gin sends
// the recorded status: a failed commit is never answered 200
// (TestAFailedCommitRenderedByAnOuterErrorMiddlewareIsNotA200,
// TestAFailedCommitRecordedButNotRenderedAnswersItsErrorStatus). An answer
// with a success status is still dropped. h answers for requests served by [UseManager], [UseSession]
// or [Sessions], and for [HandleError]; a manager that answers another request (its
// net/http Handler, or gin-contrib's own middleware over [NewGinStore])
// answers 500 with only the status text.
func GinErrorHandler(h func(c *gin.Context, err error)) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		gw, ok := w.(*ginResponse)
		if !ok {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		c, ok := gw.Context.(*gin.Context)
		if !ok {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		// Past a failed commit the middleware drops what c.Writer writes;
		// h's answer must go out.
		wrapped := c.Writer
		c.Writer = gw.ResponseWriter
		defer func() { c.Writer = wrapped }()
		h(c, err) // when h answers nothing, HandleError records the status
		c.Abort()
	}
}

// ginResponse is the writer that the session work of a Gin request sends
// cookies and error responses to: gin's own, beside the gin.Context (in
// Context) that GinErrorHandler hands to the application. It is seam's, so
// that package manager can hold it in a request's scope.
type ginResponse = seam.GinResponse
