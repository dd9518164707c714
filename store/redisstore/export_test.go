package redisstore

// Script hashes, so that tests can drop the replies of one script's runs
// (see redistest.LoseReplies).
var (
	CreateScriptSHA = createScript.Hash()
	DeleteScriptSHA = deleteScript.Hash()
	RenewScriptSHA  = renewScript.Hash()
	UpdateScriptSHA = updateScript.Hash()
)

const WriteAttempts = writeAttempts
