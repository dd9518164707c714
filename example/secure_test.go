package main

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecureCookieOffOnlyOnLoopback(t *testing.T) {
	for addr, secure := range map[string]bool{
		"localhost:8080":       false,
		"LOCALHOST.:8080":      false,
		"app.localhost:8080":   false,
		"127.0.0.1:8080":       false,
		"127.1.2.3:0":          false,
		"[::1]:8080":           false,
		":8080":                true, // every interface: reachable from the network
		"0.0.0.0:8080":         true,
		"[::]:8080":            true,
		"192.168.1.10:8080":    true,
		"example.com:443":      true,
		"localhost.example:80": true,
		"no port":              true,
	} {
		assert.Equal(t, secure, secureCookie(addr), addr)
	}
}

// startupLogs returns what a manager built as main builds it logs at
// startup, at every level.
func startupLogs(t *testing.T, secure bool) string {
	t.Helper()
	var buf bytes.Buffer
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(previous)
	a := newApp(config{secure: secure})
	require.NoError(t, a.m.Close())
	return buf.String()
}

func TestLoopbackStartsWithoutSecureWarning(t *testing.T) {
	logs := startupLogs(t, false)
	assert.NotContains(t, logs, "level=WARN", "a demo on localhost starts without warnings")
	if logs != "" { // the manager may warn once per process only
		assert.Contains(t, logs, "level=INFO msg=\"session: cookie is sent without Secure, as the example listens on loopback")
	}
	assert.Empty(t, startupLogs(t, true), "a Secure cookie has nothing to warn about")
}

func TestLoopbackLogsLowerOnlyTheSecureWarning(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(loopbackLogs{slog.NewTextHandler(&buf, nil)}).With("k", "v").WithGroup("g")
	log.Warn(insecureNotice + ", so it also travels over plain HTTP")
	log.Warn("session: cookie is sent without HttpOnly")
	assert.Contains(t, buf.String(), `level=INFO msg="session: cookie is sent without Secure, as the example listens on loopback`)
	assert.Contains(t, buf.String(), `level=WARN msg="session: cookie is sent without HttpOnly" k=v`, "other warnings stay warnings")
}
