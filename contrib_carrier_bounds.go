package session

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/gin-contrib/sessions"
)

// carrierState is what a gin-contrib store keeps on the server for each
// carrier session it is given, as far as sessionkit can tell. The carrier
// deletes a session's entry when the session ends by logout, renewal or
// replacement; a session that expires (found at lookup or by the sweeper)
// or is simply abandoned leaves its entry to the store, since no request
// comes to delete it. So a server-side store can carry the ID only if it
// expires its entries by itself.
type carrierState int

const (
	// stateUnknown: a store sessionkit does not recognise, such as gorm,
	// postgres, mongo or memcached, or any store behind a wrapper. Whether its
	// entries expire depends on how it was set up (gorm's
	// expiredSessionCleanup, mongo's ensureTTL, pgstore's Cleanup), which
	// sessionkit cannot see. Allowed, with a warning at startup.
	stateUnknown carrierState = iota
	// stateNone: the cookie holds everything and the server nothing
	// (gin-contrib's cookie store, gorilla's CookieStore).
	stateNone
	// stateExpiring: one entry per carrier session, each with a TTL of the
	// cookie's lifetime, which the carrier sets to the session's remaining
	// absolute lifetime (gin-contrib's redis store, boj/redistore's SETEX).
	stateExpiring
	// stateUnbounded: entries that nothing ever removes but a delete
	// (gin-contrib's memstore over quasoft/memstore, which has no expiry).
	stateUnbounded
)

// knownCarriers are the gin-contrib stores whose server-side state is
// known, by the package of their concrete type: gin-contrib's constructors
// return unexported types, so that package is a reliable name.
var knownCarriers = map[string]carrierState{
	"github.com/gin-contrib/sessions/cookie":   stateNone,
	"github.com/gin-contrib/sessions/redis":    stateExpiring,
	"github.com/gin-contrib/sessions/memstore": stateUnbounded,
}

func carrierStateOf(st sessions.Store) carrierState {
	t := reflect.TypeOf(st)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return knownCarriers[t.PkgPath()]
}

var (
	errMemstoreCarrier = errors.New("session: the gin-contrib memstore cannot carry the session ID: it never removes an entry," +
		" so every session that expires or is abandoned would leave one in memory for the life of the process;" +
		" pass a nil store (the built-in cookie) or cookie.NewStore")
	errGinStoreCarrier = errors.New("session: a store from NewGinStore holds the manager's sessions itself and cannot carry an ID:" +
		" install it with Sessions (or gin-contrib's sessions.Sessions), not as UseManager's or UseSession's store")
	errRedisBrowserSession = errors.New("session: the gin-contrib redis store cannot carry a cookie without Max-Age:" +
		" it deletes a record saved without a lifetime; give Options.MaxAge a positive value," +
		" or pass a nil store (the built-in cookie)")
)

// checkCarrier panics when st cannot carry the session ID of a manager whose
// Options.MaxAge is maxAge: a configuration mistake shows at startup rather
// than as memory that grows with every session or as logins that never
// stick.
func checkCarrier(st sessions.Store, maxAge int) {
	if _, ok := st.(*ginStore); ok {
		panic(errGinStoreCarrier)
	}
	switch carrierStateOf(st) {
	case stateUnbounded:
		panic(errMemstoreCarrier)
	case stateExpiring:
		if maxAge < 0 {
			panic(errRedisBrowserSession)
		}
	}
}

// warnUnknownCarrier logs once, at startup, that st may keep server-side
// entries that nothing expires, and what to do about it.
func warnUnknownCarrier(log *slog.Logger, st sessions.Store) {
	if carrierStateOf(st) != stateUnknown {
		return
	}
	log.Warn("session: cannot tell whether this gin-contrib store removes the entries it keeps on the server;"+
		" a session that ends by logout or renewal takes its entry along, one that expires leaves it to the store's own expiry",
		"store", fmt.Sprintf("%T", st),
		"advice", "pass a nil store (the built-in cookie) or cookie.NewStore;"+
			" with a server-side store, turn its expiry on (gorm: expiredSessionCleanup, mongo: ensureTTL, postgres: pgstore's Cleanup)")
}
