package redisstore

// Script hashes, so that tests can drop the replies of one script's runs
// (see redistest.LoseReplies).
var (
	CreateScriptSHA     = createScript.Hash()
	DeleteScriptSHA     = deleteScript.Hash()
	MoveStartScriptSHA  = moveStartScript.Hash()
	MoveCreateScriptSHA = moveCreateScript.Hash()
	MoveEndScriptSHA    = moveEndScript.Hash()
	UpdateScriptSHA     = updateScript.Hash()
	TouchScriptSHA      = touchScript.Hash()
	IndexScriptSHA      = indexScript.Hash()
)

const (
	WriteAttempts = writeAttempts
	MoveGrace     = moveGrace
)

// ShardTags returns the hash tags of a store's shards, for tests that look
// at its keys.
func ShardTags(prefix string, n int) []string { return shardTags(prefix, n) }

// ShardOf returns the shard of a session ID in a store of n shards.
func ShardOf(id string, n int) int {
	s := &redisStore{shards: n}
	return s.shardOf(fingerprint(id))
}

// UserIndexKey returns the key of user's index in a store with prefix.
func UserIndexKey(prefix, user string) string {
	return (&redisStore{prefix: prefix}).userKey(user)
}

// Fingerprint returns the fingerprint of a session ID, the member of its
// user's index.
func Fingerprint(id string) string { return fingerprint(id) }

// SetExpiresScriptSHA is setExpiresScript's hash, for the tests that
// drop the replies of SetExpires (see redistest.LoseReplies).
var SetExpiresScriptSHA = setExpiresScript.Hash()
