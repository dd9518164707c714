// Package managertest holds the manager's tests whose outcome rests on the
// store under it: the security requirements that involve a store (see
// SECURITY.md), the races between a request and a renewal or a logout on
// another instance, and the values that must come back from a store as they
// were set. Each test is written once and runs on any store: package
// manager runs each on the memory store under its Test... name, so that
// its tests need no Redis; internal/e2e runs them all on Redis through Run.
//
// It is imported by _test.go files only.
package managertest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
)

// NewStore returns a fresh, empty store that no other test shares, closed
// when the test ends.
type NewStore func(t *testing.T) store.Store

// Memory is a NewStore for the memory store.
func Memory(t *testing.T) store.Store {
	st := store.NewMemory()
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return st
}

// tests are every test of the package, by the name Run gives its subtest.
var tests = []struct {
	name string
	run  func(*testing.T, NewStore)
}{
	{"SecurityStrictModeCreatesNothing", SecurityStrictModeCreatesNothing},
	{"SecurityStrictModeExpiredIDNotAdopted", SecurityStrictModeExpiredIDNotAdopted},
	{"SecurityIDCheckedBeforeStore", SecurityIDCheckedBeforeStore},
	{"SecurityOversizedCookieRefusedBeforeDecoding", SecurityOversizedCookieRefusedBeforeDecoding},
	{"SecurityFixationRenewKillsTheOldID", SecurityFixationRenewKillsTheOldID},
	{"SecurityFixationUnissuedIDIsReplaced", SecurityFixationUnissuedIDIsReplaced},
	{"SecurityFixationCreateReplacesTheOldSession", SecurityFixationCreateReplacesTheOldSession},
	{"SecurityFixationConcurrentRenewal", SecurityFixationConcurrentRenewal},
	{"SecurityTimeoutsWithGCStopped", SecurityTimeoutsWithGCStopped},
	{"SecurityLogout", SecurityLogout},
	{"SecurityFailClosed", SecurityFailClosed},
	{"WriteRacingARenewalFailsInsteadOfVanishing", WriteRacingARenewalFailsInsteadOfVanishing},
	{"WriteRacingALogoutIsDropped", WriteRacingALogoutIsDropped},
	{"LogoutRacingARenewalFailsInsteadOfVanishing", LogoutRacingARenewalFailsInsteadOfVanishing},
	{"WriteRacingTwoRenewalsFailsInsteadOfVanishing", WriteRacingTwoRenewalsFailsInsteadOfVanishing},
	{"ChangesOfTheLoserOfTwoRenewalsFailTheResponse", ChangesOfTheLoserOfTwoRenewalsFailTheResponse},
	{"ChangedContainerIsStored", ChangedContainerIsStored},
	{"ConcurrentRequestsNeverShareAContainer", ConcurrentRequestsNeverShareAContainer},
	{"SetRefusesValuesThatWouldCrash", SetRefusesValuesThatWouldCrash},
	{"FlashesAreReadOnce", FlashesAreReadOnce},
	{"LoginRenewsTheSessionAndBindsIt", LoginRenewsTheSessionAndBindsIt},
	{"LoginCreatesASessionWhenThereIsNone", LoginCreatesASessionWhenThereIsNone},
	{"LoginLosingARenewalFails", LoginLosingARenewalFails},
	{"LoginAsAnotherUserStartsAfresh", LoginAsAnotherUserStartsAfresh},
	{"UserSessionsListsTheUsersLiveSessions", UserSessionsListsTheUsersLiveSessions},
	{"DestroyOtherSessionsEndsTheRestOnce", DestroyOtherSessionsEndsTheRestOnce},
	{"DestroyUserSessionEndsOnlyThatUsersSession", DestroyUserSessionEndsOnlyThatUsersSession},
	{"DestroyOtherSessionsSparesTheRequestsOwnRenewedSession", DestroyOtherSessionsSparesTheRequestsOwnRenewedSession},
	{"DestroyUserSessionOfAnExpiredSessionIsNoLogout", DestroyUserSessionOfAnExpiredSessionIsNoLogout},
	{"PerUserCapDestroysTheOldest", PerUserCapDestroysTheOldest},
	{"SetLifetimeMovesTheDeadline", SetLifetimeMovesTheDeadline},
}

// Run runs every test of the package on stores from newStore, each as a
// subtest named after its function.
func Run(t *testing.T, newStore NewStore) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore) })
	}
}
