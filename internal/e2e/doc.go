// Package e2e holds the end-to-end tests across managers and stores: several
// managers sharing one store (memory or a real Redis), driven through real
// requests, with the guarantees checked on the events they fire and on what
// is left in the store. It has no code of its own; everything is in its
// _test.go files.
package e2e
