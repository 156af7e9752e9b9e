package plugin

import (
	"strings"
	"testing"
)

func TestOneLine(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"panic: boom\n\tgoroutine 1", 100, "panic: boom goroutine 1"},
		{"  a  b  ", 10, "a b"},
		{"abcdef", 3, "abc…"},
		{"héllo", 2, "h…"}, // é is two bytes: never cut inside it
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in, tt.n); got != tt.want {
			t.Errorf("OneLine(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestWithLastLine(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes: cut at 200, between two runes
	tests := []struct {
		out  string
		want string
	}{
		{"first\nsecond  line\n\n  \n", "no report: second line"},
		{"only", "no report: only"},
		{"x\n" + long, "no report: " + strings.Repeat("é", 100) + "…"},
		{" \n\t\n", "no report"},
	}
	for _, tt := range tests {
		if got := WithLastLine("no report", []byte(tt.out)); got != tt.want {
			t.Errorf("WithLastLine(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}
