package main

import (
	"testing"

	"github.com/sessionkit/session/internal/redistest"
)

// TestMain stops the shared Redis deployments the tests may start, and says
// when Redis tests were skipped.
func TestMain(m *testing.M) { redistest.Main(m) }
