package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
)

// secureCookie reports whether the session cookie should carry Secure when
// the example listens on addr.
//
// On a loopback address it does not: the traffic never leaves the machine,
// and clients disagree about Secure cookies over plain http://localhost.
// Chrome and Firefox treat localhost as a secure origin and keep them, as
// Go's cookiejar does since Go 1.26, but Safari (WebKit) drops them, and so
// do older Go clients and tools: a Secure cookie there would make the login
// form silently loop. On any other address (a LAN address, or every
// interface with ":8080") the cookie would cross a network, so it is Secure,
// and the example must be reached over HTTPS, through a TLS proxy in front.
func secureCookie(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	return !isLoopback(host)
}

// isLoopback reports whether host names this machine only: "localhost" (and
// its subdomains, which resolvers keep on loopback) or a loopback IP.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// insecureNotice is the start of the manager's warning about a cookie
// without Secure.
const insecureNotice = "session: cookie is sent without Secure"

// loopbackLogs lowers the manager's warning about a cookie without Secure to
// an info line. The example uses it only when it listens on loopback, where
// it chose to leave Secure off for the reasons on secureCookie: the warning
// is meant for an application that forgot the setting, and a warning on
// every first run teaches users to ignore warnings.
type loopbackLogs struct{ slog.Handler }

func (h loopbackLogs) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && strings.HasPrefix(r.Message, insecureNotice) {
		r.Level = slog.LevelInfo
		r.Message = "session: cookie is sent without Secure, as the example listens on loopback (see secureCookie)"
	}
	return h.Handler.Handle(ctx, r)
}

func (h loopbackLogs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return loopbackLogs{h.Handler.WithAttrs(attrs)}
}

func (h loopbackLogs) WithGroup(name string) slog.Handler {
	return loopbackLogs{h.Handler.WithGroup(name)}
}
