// Package session gives Gin applications server-side sessions with the
// lifecycle a servlet container gives: idle and absolute timeouts enforced on
// the server, Created / Update / Destroyed events, a live-session count,
// lookup and invalidation by ID, and ID renewal on login.
//
// Install the middleware once, then use the helpers in handlers:
//
//	r := gin.New()
//	r.Use(session.UseSession(session.Options{MaxInactiveInterval: 1800}, nil, nil))
//	r.POST("/login", func(c *gin.Context) {
//		s, err := session.CreateSession(c) // or RenewSession(c) when one exists
//		if err != nil {
//			c.AbortWithStatus(http.StatusInternalServerError)
//			return
//		}
//		_ = s.Set("user", c.PostForm("user"))
//	})
//	r.GET("/private", func(c *gin.Context) {
//		s := session.GetSession(c)
//		if s == nil {
//			c.AbortWithStatus(http.StatusUnauthorized)
//			return
//		}
//		user, _ := s.Get("user")
//		c.String(http.StatusOK, "hello %v", user)
//	})
//
// Sessions live in memory unless [Options].Store names another
// store.Store, such as the Redis one. The session ID travels in a cookie:
// the built-in one when UseSession is given a nil store, or inside the
// session of a gin-contrib sessions.Store (cookie, redis, ...; not memstore,
// whose entries never expire), which then carries only the ID, signed by its
// keys.
//
// A request's changes are written to the store before its response headers
// go out; a store failure is answered through [Options].ErrorHandler (by
// default 503 or 500 with no detail), never with a silent 200 or a fresh
// anonymous session.
//
// The framework-agnostic core is package
// [github.com/sessionkit/session/manager]; this package keeps every name of
// the original package and adds the Gin middleware.
package session
