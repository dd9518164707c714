package redistest_test

import (
	"testing"

	"github.com/sessionkit/session/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }
