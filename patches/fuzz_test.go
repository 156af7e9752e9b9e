package patches

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, and a patch it accepts renders to text that parses back to the
// same files, stats and rendering. Seeds: testdata/fuzz/FuzzParse (the golden patches).
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseBytes(data)
		if err != nil {
			return
		}
		text := p.Bytes()
		q, err := ParseBytes(text)
		if err != nil {
			t.Fatalf("rendered patch does not parse: %v\ninput:\n%q\nrendered:\n%q", err, data, text)
		}
		if !reflect.DeepEqual(Files(p), Files(q)) {
			t.Fatalf("stats changed by render+parse:\n%v\n%v", Files(p), Files(q))
		}
		if again := q.Bytes(); !bytes.Equal(again, text) {
			t.Fatalf("rendering is not stable:\n%q\n%q", text, again)
		}
		// Reversing twice gives the patch back (for patches without copies).
		for _, fd := range p.Files {
			if fd.Op == OpCopy {
				return
			}
		}
		if rr := Reverse(Reverse(p)).Bytes(); !bytes.Equal(rr, text) && !onlyOrderDiffers(p) {
			t.Fatalf("Reverse(Reverse(p)) differs:\n%q\n%q", text, rr)
		}
	})
}

// onlyOrderDiffers reports whether p has hunks whose changed lines are not in git's order
// (removals before additions), which Reverse normalises.
func onlyOrderDiffers(p *Patch) bool {
	for _, f := range p.Files {
		for _, h := range f.Hunks {
			for i := 1; i < len(h.Lines); i++ {
				if h.Lines[i-1].Kind == Add && h.Lines[i].Kind == Delete {
					return true
				}
			}
		}
	}
	return false
}

// FuzzDiff: for any two texts, the patch DiffMaps makes applies to the old one and gives the new
// one, and its reverse gives the old one back.
func FuzzDiff(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nc\nd"))
	f.Add([]byte(""), []byte("x\n"))
	f.Add([]byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n"), []byte("1\n2\nthree\n4\n5\n6\n7\neight\n9\n"))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		if bytes.IndexByte(old, 0) >= 0 || bytes.IndexByte(new, 0) >= 0 {
			return
		}
		before := map[string][]byte{"f": old}
		after := map[string][]byte{"f": new}
		p, err := DiffMaps(before, after)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ApplyMap(before, p)
		if err != nil {
			t.Fatalf("apply: %v\n%s", err, p)
		}
		if !bytes.Equal(got["f"], new) {
			t.Fatalf("apply gave %q, want %q\n%s", got["f"], new, p)
		}
		back, err := ApplyMap(got, Reverse(p))
		if err != nil || !bytes.Equal(back["f"], old) {
			t.Fatalf("reverse gave %q, %v; want %q", back["f"], err, old)
		}
		q, err := ParseBytes(p.Bytes())
		if err != nil {
			t.Fatalf("parse rendered diff: %v\n%q", err, p.Bytes())
		}
		if !reflect.DeepEqual(Files(p), Files(q)) {
			t.Fatalf("stats changed by render+parse")
		}
	})
}
