package session_test

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/internal/redistest"
	"github.com/sessionkit/session/internal/testkit"
)

// logs captures every log line of the test run, at debug level, so that
// TestMain can check that none holds a session ID.
var logs testkit.Buffer

// issued records every session ID the tests' managers made: their Options.Rand
// is this recorder (see testOptions), and an ID is the base64url form of one 32-byte read.
var issued = &idRecorder{}

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log.SetOutput(&logs)
	gin.DefaultWriter, gin.DefaultErrorWriter = &logs, &logs

	code := m.Run()
	redistest.StopShared() // the redis-server that redistest.Client may have started
	if code == 0 {
		if leaked := issued.foundIn(logs.String()); leaked != "" {
			fmt.Fprintf(os.Stderr, "FAIL: a log line holds a raw session ID (masked %s)\n", leaked)
			code = 1
		}
		if issued.count() == 0 && flag.Lookup("test.run").Value.String() == "" {
			fmt.Fprintln(os.Stderr, "FAIL: the log check saw no session IDs: are test managers built with testOptions?")
			code = 1
		}
	}
	os.Exit(code)
}

type idRecorder struct {
	mu  sync.Mutex
	ids []string
}

// Read fills p from crypto/rand and records it as an ID when it has an ID's size.
func (r *idRecorder) Read(p []byte) (int, error) {
	n, err := io.ReadFull(rand.Reader, p)
	if n == 32 {
		r.mu.Lock()
		r.ids = append(r.ids, encodeID(p))
		r.mu.Unlock()
	}
	return n, err
}

func (r *idRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

// foundIn returns the masked form of the first recorded ID found in text.
func (r *idRecorder) foundIn(text string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range r.ids {
		if strings.Contains(text, id) {
			return maskedID(id)
		}
	}
	return ""
}
