// Package storetest is the conformance suite for [store.Store]
// implementations. Every store in this module runs it, and a store written
// elsewhere runs it the same way from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			return mystore.New(...) // empty, and not shared with another subtest
//		})
//	}
//
// The suite relies only on the contract written on [store.Store]. It checks
// every error a store returns, so a store that fails prints the method and
// the error instead of a mismatched value further on. The per-user methods
// (SetUser, UserSessions, DeleteUserSession) and SetExpires are part of that
// contract: a store passes only with all of them, including a race of
// binds, renewals, deletes and sweeps of one user's sessions after which
// each user's list must equal the live sessions bound to that user.
//
// What the suite asks of a store beyond that contract, so that it can check
// the contract at all:
//
//   - newStore returns an empty store (Count is 0) that no other subtest uses
//     at the same time. The suite closes it when the subtest ends; closing it
//     again from newStore's own cleanup is fine, since Close is safe twice.
//   - Times come back equal (time.Time.Equal) to the ones stored, to the
//     second. The suite's clock starts at the wall-clock time of the run,
//     rounded down to the second, and moves only by explicit offsets of whole
//     seconds: it never sleeps. Deadlines therefore lie minutes to hours in
//     the real future, so a store that also expires keys by the real clock (a
//     TTL backstop) keeps them for the whole run.
//   - Times come back without a monotonic clock reading, even when the
//     suite passed ones that had it (as time.Now returns them), and a
//     deadline past the year 2262 is kept and compared like any other.
//   - Values: see [Profile] and the Values subtest. Every value a store
//     accepts comes back equal and of the same Go type.
//   - User names come back byte for byte: e-mail addresses, unicode, NUL,
//     ':', '{' and '}', and names of 1 KiB are each a user of their own.
package storetest
