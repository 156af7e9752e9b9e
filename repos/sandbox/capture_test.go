package sandbox

import (
	"bytes"
	"testing"
)

func TestCappedBuffer(t *testing.T) {
	cases := map[string]struct {
		limit   int64
		writes  []string
		want    string
		dropped int64
	}{
		"under":         {limit: 10, writes: []string{"abc", "def"}, want: "abcdef"},
		"exactly":       {limit: 6, writes: []string{"abc", "def"}, want: "abcdef"},
		"across writes": {limit: 4, writes: []string{"abc", "def"}, want: "abcd" + TruncationMarker(4), dropped: 2},
		"after full":    {limit: 3, writes: []string{"abc", "def", "g"}, want: "abc" + TruncationMarker(3), dropped: 4},
		"zero limit":    {limit: 0, writes: []string{"x"}, want: TruncationMarker(0), dropped: 1},
		"nothing":       {limit: 5, writes: nil, want: ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b := NewCappedBuffer(c.limit)
			for _, w := range c.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v; want all bytes taken", w, n, err)
				}
			}
			if got := string(b.Bytes()); got != c.want {
				t.Errorf("Bytes() = %q, want %q", got, c.want)
			}
			if b.Dropped() != c.dropped || b.Truncated() != (c.dropped > 0) {
				t.Errorf("Dropped() = %d, Truncated() = %v; want %d", b.Dropped(), b.Truncated(), c.dropped)
			}
		})
	}
	if m := TruncationMarker(8 << 20); m != "\n[ssr: output truncated at 8388608 bytes]\n" {
		t.Errorf("marker %q", m)
	}
}

// A gigabyte written in chunks keeps the buffer at its limit.
func TestCappedBufferBoundsMemory(t *testing.T) {
	b := NewCappedBuffer(1 << 20)
	chunk := bytes.Repeat([]byte("y\n"), 16<<10)
	for written := 0; written < 1<<30; written += len(chunk) {
		b.Write(chunk)
	}
	if cap(b.buf) > 2<<20 {
		t.Errorf("buffer grew to %d bytes for a 1 MiB limit", cap(b.buf))
	}
	if b.Dropped() != 1<<30-1<<20 {
		t.Errorf("Dropped() = %d", b.Dropped())
	}
}
