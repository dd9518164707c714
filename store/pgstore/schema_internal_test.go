package pgstore

import (
	"os"
	"strings"
	"testing"
)

// TestDocShowsTheSchema checks that the SQL in the package documentation,
// which teams that migrate by hand run, is what New runs.
func TestDocShowsTheSchema(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, line := range strings.Split(strings.Trim(newTables("sessionkit_sessions").schema(), "\n"), "\n") {
		if line == "" {
			want.WriteString("//\n")
			continue
		}
		want.WriteString("//\t" + line + "\n")
	}
	if !strings.Contains(string(doc), want.String()) {
		t.Errorf("doc.go does not show the schema New runs; it should hold:\n%s", want.String())
	}
}

// TestTableNames checks which names WithTable takes: every derived name
// must stay within PostgreSQL's 63 bytes, and a name that would need
// quoting rules of its own is refused.
func TestTableNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"sessionkit_sessions":     true,
		"_s1":                     true,
		strings.Repeat("a", 40):   true,
		strings.Repeat("a", 41):   false,
		"":                        false,
		"1sessions":               false,
		"Sessions":                false,
		`s"; DROP TABLE users --`: false,
		"public.sessions":         false,
	} {
		if got := tableName.MatchString(name); got != ok {
			t.Errorf("table name %q accepted = %v, want %v", name, got, ok)
		}
	}
}
