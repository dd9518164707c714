package store

// Refused returns how many times Create of s, a store made by NewMemory,
// failed with ErrTooManySessions: the count is the cap's alone, so it is
// not part of the Store interface.
func Refused(s Store) uint64 { return s.(*memory).refused.Load() }

// newTestMemory returns NewMemory's store as its own type, for the tests
// that look inside it.
func newTestMemory(opts ...MemoryOption) *memory { return NewMemory(opts...).(*memory) }
