package session

import (
	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/seam"
)

// gin's HandleContext serves a request again on another route: it resets
// the gin.Context (its Keys, and c.Writer back to gin's own writer) but
// keeps c.Request, which carries the first route's scope. The middleware
// goes on with that scope on a route that has it again (see useCarrier),
// and the manager's methods called with c.Request find the scope only
// while c holds it, as the helpers do (seam.GinHolds).

func init() { seam.GinHolds = ginHolds }

// ginHolds is seam.GinHolds: whether the gin.Context ginContext holds
// scope, under scopeKey or, when several managers serve the route, under
// the key Named reads.
func ginHolds(ginContext, sc any) bool {
	c, ok := ginContext.(*gin.Context)
	if !ok {
		return true
	}
	if v, _ := c.Get(scopeKey{}); v == sc {
		return true
	}
	s, ok := sc.(scope)
	if !ok {
		return false
	}
	v, _ := c.Get(namedScopeKey{hooks.Cookie(s.Manager()).Template.Name})
	return v == sc
}
