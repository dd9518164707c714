package manager_test

import (
	"testing"

	"github.com/sessionkit/session/internal/testkit/managertest"
)

// A request's change, logout or renewal that races a renewal or a logout
// on another instance lands, or fails the response; it is never answered
// 200 and lost (SECURITY.md, requirement 15). The tests are in
// internal/testkit/managertest, run here on the memory store and by
// internal/e2e on Redis.

func TestWriteRacingARenewalFailsInsteadOfVanishing(t *testing.T) {
	managertest.WriteRacingARenewalFailsInsteadOfVanishing(t, managertest.Memory)
}

func TestWriteRacingALogoutIsDropped(t *testing.T) {
	managertest.WriteRacingALogoutIsDropped(t, managertest.Memory)
}

func TestLogoutRacingARenewalFailsInsteadOfVanishing(t *testing.T) {
	managertest.LogoutRacingARenewalFailsInsteadOfVanishing(t, managertest.Memory)
}

func TestWriteRacingTwoRenewalsFailsInsteadOfVanishing(t *testing.T) {
	managertest.WriteRacingTwoRenewalsFailsInsteadOfVanishing(t, managertest.Memory)
}

func TestChangesOfTheLoserOfTwoRenewalsFailTheResponse(t *testing.T) {
	managertest.ChangesOfTheLoserOfTwoRenewalsFailTheResponse(t, managertest.Memory)
}
