package agent

import (
	"strings"
	"testing"
)

func TestSiteCode(t *testing.T) {
	src := []byte("def f(a, b):\n    return a <= b and \\\n        b > 0\n" + "x = '" + strings.Repeat("é", 60) + "'\n")
	tests := []struct {
		start, end int
		want       string
	}{
		{24, 30, "a <= b"},
		{24, 52, "a <= b and \\"},   // its first line only
		{-1, 4, ""}, {10, 9999, ""}, // not within src
	}
	for _, tc := range tests {
		if got := SiteCode(src, tc.start, tc.end); got != tc.want {
			t.Errorf("SiteCode(%d, %d) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
	long := SiteCode(src, strings.Index(string(src), "x ="), len(src))
	if len(long) > MaxCode || !strings.HasPrefix(long, "x = '") || strings.ContainsRune(long, '\uFFFD') {
		t.Errorf("a long site: %q (%d bytes), want at most %d bytes, cut between characters", long, len(long), MaxCode)
	}
}
