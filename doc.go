// Package session gives Gin applications server-side sessions with the
// lifecycle a servlet container gives: idle and absolute timeouts enforced on
// the server, Created / Update / Destroyed events, a live-session count,
// lookup and invalidation by ID, ID renewal on login, the sessions of a
// user ([Login], [UserSessions], [DestroyOtherSessions]) and "remember me"
// ([SetLifetime]).
//
// Install the middleware once, then use the helpers in handlers:
//
//	r := gin.New()
//	r.Use(session.UseSession(session.Options{MaxInactiveInterval: 1800}, nil, nil))
//	r.POST("/login", func(c *gin.Context) {
//		// ... check the password first: a wrong one leaves the session alone
//		if _, err := session.Login(c, c.PostForm("user")); err != nil { // renews or creates
//			session.HandleError(c, err)
//			return
//		}
//	})
//	r.GET("/private", func(c *gin.Context) {
//		s := session.GetSession(c)
//		if s == nil || s.User() == "" {
//			c.AbortWithStatus(http.StatusUnauthorized)
//			return
//		}
//		c.String(http.StatusOK, "hello %v", s.User())
//	})
//
// Sessions live in memory unless [Options].Store names another
// store.Store, such as the Redis one. The session ID travels in a cookie:
// the built-in one when UseSession is given a nil store, or inside the
// session of a gin-contrib sessions.Store (cookie, redis, ...; not memstore,
// whose entries never expire), which then carries only the ID, signed by its
// keys. For JSON APIs and mobile clients, [UseTokens] carries it in a
// request header instead ("Authorization: Bearer <token>"), on a route group
// beside the pages, with the same manager.
//
// An application written for gin-contrib/sessions keeps its handlers and
// gets these sessions by changing one line: its store becomes
// [NewGinStore], installed with [Sessions]. [Value] reads a value with its
// type, [AddFlash] and [Flashes] keep messages for the next request,
// [GinErrorHandler] answers session failures from the gin.Context, and
// [Named] reaches each of several session middlewares on one route.
//
// A request's changes are written to the store before its response headers
// go out; a store failure is answered through [Options].ErrorHandler (by
// default 503 or 500 with no detail), never with a silent 200 or a fresh
// anonymous session.
//
// The framework-agnostic core is package
// [github.com/sessionkit/session/manager]; this package adds the Gin
// middleware.
//
// # Kept names
//
// The original package is the Gin session package whose API sessionkit
// keeps, so that programs written for it build unchanged. Its names are
// first-class API here, not deprecated:
//
//   - in this package: DefaultKey, Created, Destroyed, Update, Options,
//     Session, Manager, MemSession, NewManager, CreateMemSession,
//     NewSession, UseSession, GetSession, CreateSession, RenewSession,
//     DestroySession and GetSessionSize;
//   - in package manager: NewManager, NewSession, Created, Destroyed,
//     Update, MemSession, the Manager methods CreateSession, GetSession,
//     GetSessionById and GetSessionSize, the Session methods GetId,
//     GetMaskedSessionId, GetLastAccessTime, Get, Set and Invalidate, and
//     the Options fields Path, Domain, MaxAge, Secure, HttpOnly,
//     MaxInactiveInterval, GcInterval, GcStopChan and SessionLoader, with
//     their types (seconds, as int and int64).
//
// Each package groups the functions it keeps for them in its original.go;
// fields and methods keep their place. Where a Go-style name does the same,
// the kept name's doc says which.
package session
