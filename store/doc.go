// Package store defines where session state lives.
//
// A [Store] keeps one [Record] per session ID and answers the questions the
// manager asks on every request: load (and mark as accessed), write some keys,
// delete, move to a new ID, count, and sweep what has expired. It also keeps
// which user each session is bound to (SetUser), lists a user's sessions
// from a per-user index without scanning the others (UserSessions), deletes
// one of them by its masked ID (DeleteUserSession), and moves a session's
// absolute deadline (SetExpires). Every method takes a context first; "not
// found" is a normal answer, never an error, and an error always means the
// store itself failed.
//
// [NewMemory] makes the default: standard library only, sharded, a lock per
// session, an exact per-user index under locks of its own, an O(1) count
// and an incremental sweep. [OpenMemory] makes the same store on a file,
// which keeps its sessions across a restart. Stores for other backends live
// in sub-packages and pass the same conformance checks.
package store
