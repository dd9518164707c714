// Package manager is the framework-agnostic core of sessionkit: server-side
// sessions with the lifecycle a servlet container gives, on net/http alone.
//
// A [Manager] creates, finds, renews and destroys sessions kept in a
// [store.Store] (in memory unless [Options.Store] says otherwise), enforces the
// idle timeout ([Options.MaxInactiveInterval]) and the absolute one
// ([Options.MaxAge]) on every lookup, sweeps expired sessions in the
// background, and reports each session's Created, Update and Destroyed events
// to one handler. [Manager.Metrics] counts what happened, for monitoring,
// at the cost of an atomic add where it happens.
//
// Within a request wrapped by [Manager.Handler] (the session cookie),
// [Manager.TokenHandler] (a token in a request header) or the Gin middleware
// of the root package, a session's changes are held by the request and written to
// the store before the response's headers go out; a failure to write them
// becomes an error response through [Options.ErrorHandler], never a silent
// 200. Outside such a request (a session from [Manager.GetSessionById], or
// one from [Manager.GetSession] called without the middleware) every Set
// writes through to the store at once.
//
// [Manager.Login] renews (or creates) the session of a user who just proved
// who they are and binds it to them: [Manager.UserSessions] then lists the
// user's sessions on every instance sharing the store,
// [Manager.DestroyOtherSessions] logs them out everywhere else, and
// [Options.MaxSessionsPerUser] caps how many they keep.
// [Manager.SetLifetime] gives one session a longer or shorter absolute
// lifetime ("remember me"), within [Options.MaxLifetime].
//
// Some names are kept for programs written before sessionkit (GetSessionById,
// GcInterval, HttpOnly and the others the root package's doc lists): they
// are first-class API, and where a Go-style name does the same, their doc
// says which.
//
// Session IDs are 32 random bytes, base64url encoded. An ID the server did
// not issue, or one that has expired, is never adopted, and only the masked ID
// ([Session.GetMaskedSessionId]) ever reaches a log line.
package manager
