package session_test

import (
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/tester"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/internal/testkit"
)

// TestGinStorePassesGinContribTester runs gin-contrib's own store test
// suite, the one its cookie, redis and other stores pass, against
// NewGinStore: an application's handlers see what they saw with those
// stores.
func TestGinStorePassesGinContribTester(t *testing.T) {
	newStore := func(t *testing.T) sessions.Store {
		return session.NewGinStore(newTestManager(t, testOptions(testkit.NewClock()), nil))
	}
	tests := []struct {
		name string
		run  func(*testing.T)
	}{
		{"GetSet", func(t *testing.T) { tester.GetSet(t, newStore) }},
		{"DeleteKey", func(t *testing.T) { tester.DeleteKey(t, newStore) }},
		{"Flashes", func(t *testing.T) { tester.Flashes(t, newStore) }},
		{"Clear", func(t *testing.T) { tester.Clear(t, newStore) }},
		{"Options", func(t *testing.T) { tester.Options(t, newStore) }},
		{"Many", func(t *testing.T) { tester.Many(t, newStore) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
