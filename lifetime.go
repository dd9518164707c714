package session

import (
	"time"

	"github.com/gin-gonic/gin"
)

// SetLifetime gives the request's session an absolute lifetime of d from
// now ("remember me"), never beyond its creation plus Options.MaxLifetime,
// and sends the cookie again with a Max-Age to match; see
// [manager.Manager.SetLifetime].
func SetLifetime(c *gin.Context, d time.Duration) error {
	sc := scopeOf(c)
	if sc == nil {
		return ErrNoMiddleware
	}
	return sc.Manager().SetLifetime(hooks.Attach(sc, c.Request), c.Writer, d)
}
