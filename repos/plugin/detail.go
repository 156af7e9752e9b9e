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

// WithLastLine is msg followed by ": " and the last non-blank line of out, flattened and cut to 200 bytes
// as OneLine does (msg alone when out is blank): how a parser that found no result quotes the command's
// own last word.
func WithLastLine(msg string, out []byte) string {
	s := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s = OneLine(s, 200); s == "" {
		return msg
	}
	return msg + ": " + s
}
