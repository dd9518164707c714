package session

import "slices"

// This file holds the renewal a NewGinStore session gets on login, for a
// gin-contrib login handler that cannot call RenewSession.

// GinStoreOption configures the store [NewGinStore] returns.
type GinStoreOption func(*ginStore)

// RenewWhenSet makes a Save that sets one of keys to a new value (not nil,
// and different from what the session held) give the session a new ID
// first, as [RenewSession] does: the values are kept, the ID the request
// came with finds nothing from then on, the new cookie is sent, and the
// events fire as RenewSession fires them. Name the keys a login handler
// sets, so that an unchanged one defeats session fixation:
//
//	r.Use(sessions.Sessions("mysession", session.NewGinStore(m, session.RenewWhenSet("user"))))
//
// It works under gin-contrib's sessions.Sessions and under [Sessions]
// alike. A key set to the value it had, or deleted, renews nothing (logout
// is Options(sessions.Options{MaxAge: -1}) and Save); a Save that makes
// the request's first session needs no renewal, its ID being new; nor does
// one whose session was renewed already in the request. When the renewal
// fails (a concurrent one won, the store failed, the new cookie cannot be
// sent: the response has started, or under gin-contrib's middleware an
// earlier Save of the request stored something, see [NewGinStore])
// Save stores nothing and returns the error, which Options.ErrorHandler
// answers where the response can still take it (a lost concurrent
// renewal: 409): the login is not kept on the old ID.
//
// By default no key renews: which key means "logged in" is the
// application's to say, and renewing on a key that changes for other
// reasons would make parallel requests lose to each other's renewals.
func RenewWhenSet(keys ...string) GinStoreOption {
	keys = slices.Clone(keys)
	return func(st *ginStore) { st.renewKeys = append(st.renewKeys, keys...) }
}

// renewsOn reports whether changed, the keys a Save writes, holds one that
// marks a login.
func (st *ginStore) renewsOn(changed map[string]any) bool {
	for _, k := range st.renewKeys {
		if _, ok := changed[k]; ok {
			return true
		}
	}
	return false
}

// renewForLogin gives the request's session, s, a new ID when the Save
// that changes changed marks a login and s still has the ID the request
// came with (a session this request created or renewed has a new one).
func (q *ginRequest) renewForLogin(s Session, changed map[string]any) (Session, error) {
	if !q.store.renewsOn(changed) || s.GetId() != q.cameWith {
		return s, nil
	}
	return q.sc.Renew()
}
