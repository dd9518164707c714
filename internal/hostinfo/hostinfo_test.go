package hostinfo

import "testing"

func TestParseLoadAverage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0.52 0.58 0.59 1/467 12345\n", "0.52, 0.58, 0.59"},
		{"0.52 0.58", ""},
		{"", ""},
	} {
		if got := parseLoadAverage(tc.in); got != tc.want {
			t.Errorf("parseLoadAverage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
