package manager_test

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
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
		// Browsers match the prefixes in any case: "__host-sid" without
		// Secure, or "__HOST-sid" with a Domain, would be dropped by them.
		{name: "__host- without Secure", opts: manager.Options{CookieName: "__host-sid"}, wantPanic: true},
		{name: "__HOST- with a Domain", opts: manager.Options{CookieName: "__HOST-sid", Secure: true, Domain: "example.test"}, wantPanic: true},
		{name: "__HoSt- with a Path other than /", opts: manager.Options{CookieName: "__HoSt-sid", Secure: true, Path: "/app"}, wantPanic: true},
		{name: "__hOsT- with Secure, Path / and no Domain", opts: manager.Options{CookieName: "__hOsT-sid", Secure: true}},
		{name: "__secure- without Secure", opts: manager.Options{CookieName: "__secure-sid"}, wantPanic: true},
		{name: "__SECURE- without Secure", opts: manager.Options{CookieName: "__SECURE-sid"}, wantPanic: true},
		{name: "__SeCuRe- with Secure", opts: manager.Options{CookieName: "__SeCuRe-sid", Secure: true, Domain: "example.test"}},
		{name: "_host- is no prefix", opts: manager.Options{CookieName: "_host-sid"}},
		// MaxSessions caps only the store the manager makes: beside a
		// Store it would be silently ignored.
		{name: "MaxSessions beside a Store", opts: manager.Options{MaxSessions: 2, Store: store.NewMemory()}, wantPanic: true},
		{name: "negative MaxSessions beside a Store", opts: manager.Options{MaxSessions: -1, Store: store.NewMemory()}, wantPanic: true},
		{name: "a Store without MaxSessions", opts: manager.Options{Store: store.NewMemory()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Store != nil {
				t.Cleanup(func() { assert.NoError(t, tt.opts.Store.Close()) })
			}
			tt.opts.GcStopChan = testkit.StoppedSweeper()
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
	env := testkit.NewEnv(t, manager.Options{}, nil)
	got := env.M.Options()
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
			manager.ForgetInsecureWarnings()
			var buf testkit.Buffer
			tt.opts.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
			env := testkit.NewEnv(t, tt.opts, nil)
			// Using the manager logs no further warning, nor does a second
			// manager with the same settings: the process logs each once.
			_, ck := env.Create(t)
			env.M.GetSession(testkit.RequestWith(ck))
			testkit.NewEnv(t, tt.opts, nil)

			logged := buf.String()
			assert.Equal(t, tt.warnings, strings.Count(logged, "level=WARN"), logged)
			if tt.mentions != "" {
				assert.Contains(t, logged, tt.mentions)
			}
		})
	}
}

// A manager whose logger drops warnings (a quiet or discarding one, as a
// helper or a sub-application may use) does not use up the process's one
// warning: the next manager that would show it still does.
func TestInsecureWarningNotSpentOnAQuietLogger(t *testing.T) {
	manager.ForgetInsecureWarnings()
	quiet := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	testkit.NewEnv(t, manager.Options{Logger: quiet}, nil)
	testkit.NewEnv(t, manager.Options{Logger: slog.New(slog.DiscardHandler)}, nil)

	var buf testkit.Buffer
	loud := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	testkit.NewEnv(t, manager.Options{Logger: loud}, nil)
	assert.Equal(t, 1, strings.Count(buf.String(), "without Secure"), buf.String())
}

// TestOptionsNumericRanges builds a manager at each boundary of each numeric
// option's documented range: out of range, NewManager panics and says
// which option. GcInterval math.MaxInt used to overflow into a negative
// ticker period and crash the process from the sweeper goroutine.
func TestOptionsNumericRanges(t *testing.T) {
	const hundredYears = 3_155_760_000 // seconds: the longest MaxAge and MaxInactiveInterval
	tests := []struct {
		name      string
		opts      manager.Options
		wantPanic string // the option named in the panic; "" for none
	}{
		// MaxAge: any negative (no absolute limit), 0 (default), 1 to 100 years.
		{name: "MaxAge min int", opts: manager.Options{MaxAge: math.MinInt}},
		{name: "MaxAge -1", opts: manager.Options{MaxAge: -1}},
		{name: "MaxAge 0", opts: manager.Options{MaxAge: 0}},
		{name: "MaxAge 1", opts: manager.Options{MaxAge: 1}},
		{name: "MaxAge max", opts: manager.Options{MaxAge: hundredYears}},
		{name: "MaxAge max+1", opts: manager.Options{MaxAge: hundredYears + 1}, wantPanic: "MaxAge"},
		{name: "MaxAge max int", opts: manager.Options{MaxAge: math.MaxInt}, wantPanic: "MaxAge"},

		// MaxInactiveInterval: the same range as MaxAge.
		{name: "MaxInactiveInterval min int64", opts: manager.Options{MaxInactiveInterval: math.MinInt64}},
		{name: "MaxInactiveInterval -1", opts: manager.Options{MaxInactiveInterval: -1}},
		{name: "MaxInactiveInterval 0", opts: manager.Options{MaxInactiveInterval: 0}},
		{name: "MaxInactiveInterval 1", opts: manager.Options{MaxInactiveInterval: 1}},
		{name: "MaxInactiveInterval max", opts: manager.Options{MaxInactiveInterval: hundredYears}},
		{name: "MaxInactiveInterval max+1", opts: manager.Options{MaxInactiveInterval: hundredYears + 1}, wantPanic: "MaxInactiveInterval"},
		{name: "MaxInactiveInterval max int64", opts: manager.Options{MaxInactiveInterval: math.MaxInt64}, wantPanic: "MaxInactiveInterval"},

		// GcInterval: 0 (default) to one day.
		{name: "GcInterval min int", opts: manager.Options{GcInterval: math.MinInt}, wantPanic: "GcInterval"},
		{name: "GcInterval min-1", opts: manager.Options{GcInterval: -1}, wantPanic: "GcInterval"},
		{name: "GcInterval min", opts: manager.Options{GcInterval: 0}},
		{name: "GcInterval 1", opts: manager.Options{GcInterval: 1}},
		{name: "GcInterval max", opts: manager.Options{GcInterval: 86400}},
		{name: "GcInterval max+1", opts: manager.Options{GcInterval: 86401}, wantPanic: "GcInterval"},
		{name: "GcInterval max int", opts: manager.Options{GcInterval: math.MaxInt}, wantPanic: "GcInterval"},

		// MaxSessions: any int (negative: no cap; 0: default).
		{name: "MaxSessions min int", opts: manager.Options{MaxSessions: math.MinInt}},
		{name: "MaxSessions -1", opts: manager.Options{MaxSessions: -1}},
		{name: "MaxSessions 0", opts: manager.Options{MaxSessions: 0}},
		{name: "MaxSessions 1", opts: manager.Options{MaxSessions: 1}},
		{name: "MaxSessions max int", opts: manager.Options{MaxSessions: math.MaxInt}},

		// StoreWriteTimeout: 0 (default, 5 s) to 10 minutes.
		{name: "StoreWriteTimeout min-1", opts: manager.Options{StoreWriteTimeout: -time.Nanosecond}, wantPanic: "StoreWriteTimeout"},
		{name: "StoreWriteTimeout min", opts: manager.Options{StoreWriteTimeout: 0}},
		{name: "StoreWriteTimeout 1ns", opts: manager.Options{StoreWriteTimeout: time.Nanosecond}},
		{name: "StoreWriteTimeout max", opts: manager.Options{StoreWriteTimeout: 10 * time.Minute}},
		{name: "StoreWriteTimeout max+1", opts: manager.Options{StoreWriteTimeout: 10*time.Minute + time.Nanosecond}, wantPanic: "StoreWriteTimeout"},

		// SameSite: 0 (default) to http.SameSiteNoneMode.
		{name: "SameSite min-1", opts: manager.Options{SameSite: -1}, wantPanic: "SameSite"},
		{name: "SameSite min", opts: manager.Options{SameSite: 0}},
		{name: "SameSite default mode", opts: manager.Options{SameSite: http.SameSiteDefaultMode}},
		{name: "SameSite max", opts: manager.Options{SameSite: http.SameSiteNoneMode, Secure: true}},
		{name: "SameSite max+1", opts: manager.Options{SameSite: http.SameSiteNoneMode + 1, Secure: true}, wantPanic: "SameSite"},

		// MaxSessionsPerUser: 0 (no cap) or more.
		{name: "MaxSessionsPerUser min int", opts: manager.Options{MaxSessionsPerUser: math.MinInt}, wantPanic: "MaxSessionsPerUser"},
		{name: "MaxSessionsPerUser -1", opts: manager.Options{MaxSessionsPerUser: -1}, wantPanic: "MaxSessionsPerUser"},
		{name: "MaxSessionsPerUser 0", opts: manager.Options{MaxSessionsPerUser: 0}},
		{name: "MaxSessionsPerUser 1", opts: manager.Options{MaxSessionsPerUser: 1}},
		{name: "MaxSessionsPerUser max int", opts: manager.Options{MaxSessionsPerUser: math.MaxInt}},

		// MaxLifetime: 0 (MaxAge), or MaxAge (after its default) to 100
		// years; only 0 beside a negative MaxAge.
		{name: "MaxLifetime -1", opts: manager.Options{MaxLifetime: -1}, wantPanic: "MaxLifetime"},
		{name: "MaxLifetime 0", opts: manager.Options{MaxLifetime: 0}},
		{name: "MaxLifetime below default MaxAge", opts: manager.Options{MaxLifetime: 86399}, wantPanic: "MaxLifetime"},
		{name: "MaxLifetime default MaxAge", opts: manager.Options{MaxLifetime: 86400}},
		{name: "MaxLifetime below MaxAge", opts: manager.Options{MaxAge: 60, MaxLifetime: 59}, wantPanic: "MaxLifetime"},
		{name: "MaxLifetime MaxAge", opts: manager.Options{MaxAge: 60, MaxLifetime: 60}},
		{name: "MaxLifetime max", opts: manager.Options{MaxLifetime: hundredYears}},
		{name: "MaxLifetime max+1", opts: manager.Options{MaxLifetime: hundredYears + 1}, wantPanic: "MaxLifetime"},
		{name: "MaxLifetime max int", opts: manager.Options{MaxLifetime: math.MaxInt}, wantPanic: "MaxLifetime"},
		{name: "MaxLifetime beside no MaxAge", opts: manager.Options{MaxAge: -1, MaxLifetime: 86400}, wantPanic: "MaxLifetime"},
		{name: "MaxLifetime 0 beside no MaxAge", opts: manager.Options{MaxAge: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.GcStopChan = testkit.StoppedSweeper()
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			got := recoverFrom(func() {
				m := manager.NewManager(tt.opts, nil, nil)
				require.NoError(t, m.Close())
			})
			if tt.wantPanic == "" {
				assert.Nil(t, got, "NewManager panicked")
				return
			}
			require.NotNil(t, got, "NewManager accepted an option out of range")
			assert.Contains(t, fmt.Sprint(got), "Options."+tt.wantPanic, "the panic names the option")
		})
	}
}

// recoverFrom runs f and returns what it panicked with, or nil.
func recoverFrom(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// TestClockReadsWallClockOnly checks that the manager strips the monotonic
// reading from every time its clock tells, so that the deadlines it stores
// compare by the wall clock alone, like the stores' own: time.Now, the
// default clock, returns times that carry one.
func TestClockReadsWallClockOnly(t *testing.T) {
	for name, clock := range map[string]func() time.Time{"default": nil, "time.Now": time.Now} {
		t.Run(name, func(t *testing.T) {
			m := manager.NewManager(manager.Options{Clock: clock, GcStopChan: testkit.StoppedSweeper(), Logger: slog.New(slog.DiscardHandler)}, nil, nil)
			t.Cleanup(func() { require.NoError(t, m.Close()) })
			now := m.Options().Clock()
			assert.True(t, now == now.Round(0), "Options().Clock() = %v carries a monotonic reading", now)
		})
	}
}
