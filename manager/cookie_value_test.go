package manager_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionkit/session/manager"
)

func TestCookieValueAgreesWithNetHTTP(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
	}{
		{"absent", nil},
		{"alone", []string{"sid=abc"}},
		{"among others", []string{"a=1; sid=abc; b=2"}},
		{"no spaces", []string{"a=1;sid=abc;b=2"}},
		{"quoted", []string{`sid="abc"`}},
		{"first of two", []string{"sid=first; sid=second"}},
		{"in a second header line", []string{"a=1", "sid=abc"}},
		{"name as a prefix only", []string{"sidx=1; xsid=2"}},
		{"empty value", []string{"sid="}},
		{"no value", []string{"sid"}},
		{"trailing semicolon", []string{"sid=abc;"}},
		// Found by FuzzCookieValue: net/http skips a cookie whose value
		// holds a byte no cookie value may hold, and trims the name.
		{"lone double quote", []string{`sid="`}},
		{"NUL in the value", []string{"sid=a\x00b"}},
		{"non-UTF-8 value", []string{"sid=\xff\xfe"}},
		{"backslash in the value", []string{`sid=a\b`}},
		{"quote inside the value", []string{`sid=a"b`}},
		{"invalid first, valid second", []string{"sid=\x01; sid=abc"}},
		{"invalid in the first line, valid in the second", []string{`sid=a"b`, "sid=abc"}},
		{"spaces around the name", []string{" sid =abc"}},
		{"tab before the equals sign", []string{"sid\t=abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("Cookie", h)
			}
			got, found := manager.CookieValue(r, "sid")
			want, err := r.Cookie("sid")
			assert.Equal(t, err == nil, found, "found")
			if err == nil {
				assert.Equal(t, want.Value, got)
			}
		})
	}
}
