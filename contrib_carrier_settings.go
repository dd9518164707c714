package session

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-contrib/sessions"
	gsessions "github.com/gorilla/sessions"
)

// logReplacedCookieSettings logs, when the carrier is built, each cookie
// attribute of st that the manager's options replace, old -> new: an
// application that configured its store (or relied on gorilla's defaults:
// Secure, SameSite=None, 30 days) must not lose a security setting without
// a word. A weaker cookie (Secure or HttpOnly dropped, a looser SameSite) is
// a warning; other changes are information. The line holds settings only,
// never a cookie value.
func logReplacedCookieSettings(log *slog.Logger, st sessions.Store, name string, applied sessions.Options) {
	old, ok := storeCookieOptions(st, name)
	if !ok {
		return
	}
	changed, weaker := cookieChanges(old, applied)
	if len(changed) == 0 {
		return
	}
	level := slog.LevelInfo
	if weaker {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "session: the gin-contrib store's own cookie settings are replaced by the manager's; carry them over into session.Options to keep them",
		"store", fmt.Sprintf("%T", st),
		"changed", strings.Join(changed, ", "))
}

// storeCookieOptions reads st's current cookie options without reflection:
// a gorilla store's New, given a request without the cookie, returns a
// session whose Options are a copy of the store's. A store that cannot
// answer is not compared.
func storeCookieOptions(st sessions.Store, name string) (*gsessions.Options, bool) {
	blank := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{}}
	s, err := st.New(blank, name)
	if err != nil || s == nil || s.Options == nil {
		return nil, false
	}
	return s.Options, true
}

// cookieChanges lists the attributes that differ between old and applied,
// in a fixed order, and says whether any change weakens the cookie.
func cookieChanges(old *gsessions.Options, applied sessions.Options) (changed []string, weaker bool) {
	note := func(attr, from, to string, weakens bool) {
		changed = append(changed, attr+" "+from+" -> "+to)
		weaker = weaker || weakens
	}
	if old.Secure != applied.Secure {
		note("Secure", strconv.FormatBool(old.Secure), strconv.FormatBool(applied.Secure), old.Secure)
	}
	if old.HttpOnly != applied.HttpOnly {
		note("HttpOnly", strconv.FormatBool(old.HttpOnly), strconv.FormatBool(applied.HttpOnly), old.HttpOnly)
	}
	if from, to := sameSiteStrictness(old.SameSite), sameSiteStrictness(applied.SameSite); from != to {
		note("SameSite", sameSiteNames[from], sameSiteNames[to], to < from)
	}
	if old.MaxAge != applied.MaxAge {
		note("MaxAge", strconv.Itoa(old.MaxAge), strconv.Itoa(applied.MaxAge), false)
	}
	if old.Path != applied.Path {
		note("Path", old.Path, applied.Path, false)
	}
	if old.Domain != applied.Domain {
		note("Domain", domainName(old.Domain), domainName(applied.Domain), false)
	}
	if old.Partitioned {
		// gin-contrib's Options has no Partitioned: applying them drops it.
		note("Partitioned", "true", "false", false)
	}
	return changed, weaker
}

// sameSiteStrictness orders SameSite values from the loosest: no attribute
// (SameSiteDefaultMode or zero: net/http writes none for either) ranks
// between None and Lax, since browsers differ on what it means.
func sameSiteStrictness(s http.SameSite) int {
	switch s {
	case http.SameSiteNoneMode:
		return 0
	case http.SameSiteLaxMode:
		return 2
	case http.SameSiteStrictMode:
		return 3
	default:
		return 1
	}
}

var sameSiteNames = [...]string{"None", "(none: the browser's default)", "Lax", "Strict"}

func domainName(d string) string {
	if d == "" {
		return "(host only)"
	}
	return d
}
