package redisstore

import "errors"

var (
	// ErrDecode is wrapped by Load when a stored record does not decode: a
	// value whose type changed or is not registered with gob, a corrupt or
	// hostile record, or a value whose signature does not match.
	ErrDecode = errors.New("redisstore: stored session does not decode")

	// ErrValueTooLarge is wrapped by the error of a value whose encoded size
	// is over the limit (see [WithMaxValueSize]).
	ErrValueTooLarge = errors.New("redisstore: value too large")
)
