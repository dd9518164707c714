package session_test

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/testkit"
)

// logs captures every log line of the test run, at debug level, so that
// TestMain can check that none holds a session ID.
var logs testkit.Buffer

// issued records every session ID the tests' managers made: their Options.Rand
// is this recorder (see testOptions).
var issued = &testkit.IDRecorder{}

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log.SetOutput(&logs)
	gin.DefaultWriter, gin.DefaultErrorWriter = &logs, &logs

	code := m.Run()
	if code == 0 {
		if leaked := issued.FoundIn(logs.String()); leaked != "" {
			fmt.Fprintf(os.Stderr, "FAIL: a log line holds a raw session ID (masked %s)\n", leaked)
			code = 1
		}
		if len(issued.Issued()) == 0 && flag.Lookup("test.run").Value.String() == "" {
			fmt.Fprintln(os.Stderr, "FAIL: the log check saw no session IDs: are test managers built with testOptions?")
			code = 1
		}
	}
	os.Exit(code)
}
