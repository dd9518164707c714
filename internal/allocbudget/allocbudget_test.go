package allocbudget_test

import (
	"fmt"
	"testing"

	"github.com/sessionkit/session/internal/allocbudget"
)

var sink []byte

func TestBytesSeesAnAllocation(t *testing.T) {
	got := allocbudget.Bytes(func() { sink = make([]byte, 100<<10) })
	if got < 100<<10 {
		t.Fatalf("Bytes saw %d bytes for a 100 KiB allocation", got)
	}
}

// recorder is a testing.TB that keeps its failure instead of failing.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.failure = fmt.Sprintf(format, args...) }

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		size int
		fail bool
	}{
		{name: "nothing", size: 0},
		{name: "well under", size: 1 << 10},
		{name: "over", size: allocbudget.MaxBytes + 1, fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			allocbudget.Check(rec, "make", func() {
				if tt.size > 0 {
					sink = make([]byte, tt.size)
				}
			})
			if got := rec.failure != ""; got != tt.fail {
				t.Fatalf("failed = %v, want %v (%q)", got, tt.fail, rec.failure)
			}
		})
	}
}
