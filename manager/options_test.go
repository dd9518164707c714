package manager_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
)

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name      string
		opts      manager.Options
		wantPanic bool
	}{
		{name: "__Host- without Secure", opts: manager.Options{CookieName: "__Host-x"}, wantPanic: true},
		{name: "__Host- with Secure and Path /", opts: manager.Options{CookieName: "__Host-x", Secure: true, Path: "/"}},
		{name: "__Host- with Secure and default Path", opts: manager.Options{CookieName: "__Host-x", Secure: true}},
		{name: "__Host- with a Path other than /", opts: manager.Options{CookieName: "__Host-x", Secure: true, Path: "/app"}, wantPanic: true},
		{name: "__Host- with a Domain", opts: manager.Options{CookieName: "__Host-x", Secure: true, Domain: "example.test"}, wantPanic: true},
		{name: "__Secure- without Secure", opts: manager.Options{CookieName: "__Secure-x"}, wantPanic: true},
		{name: "__Secure- with Secure", opts: manager.Options{CookieName: "__Secure-x", Secure: true}},
		{name: "SameSite None without Secure", opts: manager.Options{SameSite: http.SameSiteNoneMode}, wantPanic: true},
		{name: "SameSite None with Secure", opts: manager.Options{SameSite: http.SameSiteNoneMode, Secure: true}},
		{name: "cookie name with a space", opts: manager.Options{CookieName: "my session"}, wantPanic: true},
		{name: "zero options", opts: manager.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.GcStopChan = stoppedGC()
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			build := func() {
				m := manager.NewManager(tt.opts, nil, nil)
				require.NoError(t, m.Close())
			}
			if tt.wantPanic {
				assert.Panics(t, build)
				return
			}
			assert.NotPanics(t, build)
		})
	}
}

func TestDefaults(t *testing.T) {
	env := newEnv(t, manager.Options{}, nil)
	got := env.m.Options()
	assert.Equal(t, "/", got.Path)
	assert.Equal(t, manager.DefaultCookieName, got.CookieName)
	assert.Equal(t, "session-key", got.CookieName)
	assert.Equal(t, 86400, got.MaxAge)
	assert.Equal(t, int64(1800), got.MaxInactiveInterval)
	assert.Equal(t, 60, got.GcInterval)
	assert.Equal(t, http.SameSiteLaxMode, got.SameSite)
	assert.True(t, got.HttpOnly)
}

func TestInsecureSettingsWarnOnce(t *testing.T) {
	tests := []struct {
		name     string
		opts     manager.Options
		warnings int
		mentions string
	}{
		{name: "Secure off", opts: manager.Options{}, warnings: 1, mentions: "Secure"},
		{name: "Secure on", opts: manager.Options{Secure: true}, warnings: 0},
		{name: "Secure on, script-readable", opts: manager.Options{Secure: true, ScriptReadableCookie: true}, warnings: 1, mentions: "HttpOnly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf testkit.Buffer
			tt.opts.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
			env := newEnv(t, tt.opts, nil)
			// Using the manager logs no further warning.
			_, ck := env.create(t)
			env.m.GetSession(requestWith(ck))

			logged := buf.String()
			assert.Equal(t, tt.warnings, strings.Count(logged, "level=WARN"), logged)
			if tt.mentions != "" {
				assert.Contains(t, logged, tt.mentions)
			}
		})
	}
}
