package docker

import (
	"bytes"
	"strings"
	"testing"
)

func TestStagedStderr(t *testing.T) {
	const id = "0123456789abcdef"
	mark, trailer := string(readyMark(id)), string(trailerPrefix(id))
	tests := map[string]struct {
		setup     bool
		chunks    []string
		wantOut   string
		wantSetup string
		wantReady bool
		wantCount int64
	}{
		"no setup, trailer stripped": {
			chunks: []string{"warning: x\n", trailer + "3\n"}, wantOut: "warning: x\n", wantCount: 3,
		},
		"no setup, output without a newline before the trailer": {
			chunks: []string{"partial", trailer + "0\n"}, wantOut: "partial", wantCount: 0,
		},
		"trailer split across writes": {
			chunks: []string{"abc" + trailer[:5], trailer[5:] + "1", "2\n"}, wantOut: "abc", wantCount: 12,
		},
		"count unreadable": {
			chunks: []string{"x", trailer + "-\n"}, wantOut: "x", wantCount: -1,
		},
		"no trailer (killed)": {
			chunks: []string{strings.Repeat("y", 200)}, wantOut: strings.Repeat("y", 200), wantCount: -1,
		},
		"output after the trailer: not a trailer": {
			chunks: []string{"a", trailer + "2\n", "late\n"}, wantOut: "a" + trailer + "2\nlate\n", wantCount: -1,
		},
		"another exec's trailer is output": {
			chunks: []string{"\x1essr-end ffffffffffffffff 9\n"}, wantOut: "\x1essr-end ffffffffffffffff 9\n", wantCount: -1,
		},
		"setup output kept apart": {
			setup: true, chunks: []string{"unpacking\n", mark + "test says hi\n", trailer + "0\n"},
			wantOut: "test says hi\n", wantSetup: "unpacking\n", wantReady: true, wantCount: 0,
		},
		"mark split across writes": {
			setup: true, chunks: []string{"s" + mark[:4], mark[4:9], mark[9:] + "o", trailer + "0\n"},
			wantOut: "o", wantSetup: "s", wantReady: true, wantCount: 0,
		},
		"setup failed: no mark": {
			setup: true, chunks: []string{"tar: cannot open\n"}, wantSetup: "tar: cannot open\n", wantCount: -1,
		},
		"a mark in the command's output is output": {
			setup: true, chunks: []string{mark, mark, trailer + "0\n"}, wantOut: mark, wantReady: true, wantCount: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			w := newStagedStderr(id, tc.setup, &out)
			for _, c := range tc.chunks {
				if n, err := w.Write([]byte(c)); n != len(c) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", c, n, err)
				}
			}
			count := w.finish()
			if out.String() != tc.wantOut {
				t.Errorf("output %q, want %q", out.String(), tc.wantOut)
			}
			if got := string(w.setupOutput()); got != tc.wantSetup {
				t.Errorf("setup output %q, want %q", got, tc.wantSetup)
			}
			if _, ready := w.readyAt(); ready != tc.wantReady {
				t.Errorf("ready %v, want %v", ready, tc.wantReady)
			}
			if count != tc.wantCount {
				t.Errorf("count %d, want %d", count, tc.wantCount)
			}
		})
	}
}

func TestStagedStderrKeepsTheSetupsTail(t *testing.T) {
	var out bytes.Buffer
	w := newStagedStderr("0123456789abcdef", true, &out)
	for i := 0; i < 100; i++ {
		w.Write(bytes.Repeat([]byte{byte('a' + i%26)}, 4096))
	}
	w.Write([]byte("the end\n"))
	got := w.setupOutput()
	if len(got) != maxSetupOutput || !bytes.HasSuffix(got, []byte("the end\n")) {
		t.Errorf("kept %d bytes ending %q, want the last %d bytes", len(got), got[max(0, len(got)-10):], maxSetupOutput)
	}
}
