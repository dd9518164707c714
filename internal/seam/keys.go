package seam

// The request context keys under which a face finds the scopes that the
// session middlewares of a route began. Package manager's scope context
// answers them, and so does a face that begins scopes of its own, so that a
// route's scopes ride on the request the handlers get: a gin.Context key
// would cost the request gin's Keys map (two allocations), and a request is
// what survives gin's Context.Copy as Keys do.

// ScopeKey finds the scope of the session middleware installed last on the
// route: the innermost context that answers it wins, as the last
// gin.Context.Set of one key would.
type ScopeKey struct{}

// NamedScopeKey finds the scope of the session whose cookie (or token
// carrier) has the name Name, on a route that several middlewares serve.
type NamedScopeKey struct{ Name string }
