// Package testkit holds the test doubles that the tests of several packages
// share, one idea a file: a clock that moves only when told, a log sink many
// goroutines may write to, an event recorder, stores that fail or record on
// demand, a random source that remembers the IDs it gave, and a manager
// ready for tests (Env) with a small application behind it (App).
//
// It is imported by _test.go files, and by managertest, the manager's
// store-dependent tests that both package manager and internal/e2e run.
package testkit
