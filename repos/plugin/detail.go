package plugin

import (
	"strings"
	"unicode/utf8"
)

// OneLine flattens s to one line of at most n bytes, cut at a rune boundary and marked with "…" when cut:
// the shape the harness asks of ParseTestOutputResponse.Detail and of every warning.
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
