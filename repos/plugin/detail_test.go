package plugin

import "testing"

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
