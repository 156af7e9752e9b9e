package patches

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDiffHunkHeaders(t *testing.T) {
	tests := map[string]struct {
		old, new string
		want     string
	}{
		"change middle": {
			old: "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			new: "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			want: "diff --git a/f b/f\nindex 0719398..4c5701d 100644\n--- a/f\n+++ b/f\n" +
				"@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
		},
		"insert at top": {
			old:  "a\nb\n",
			new:  "x\na\nb\n",
			want: "diff --git a/f b/f\nindex 422c2b7..e4e5238 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n+x\n a\n b\n",
		},
		"new file": {
			old:  "\x00nil",
			new:  "one\n",
			want: "diff --git a/f b/f\nnew file mode 100644\nindex 0000000..5626abf\n--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+one\n",
		},
		"deleted file": {
			old:  "one\n",
			new:  "\x00nil",
			want: "diff --git a/f b/f\ndeleted file mode 100644\nindex 5626abf..0000000\n--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-one\n",
		},
		"add final newline": {
			old:  "a\nb",
			new:  "a\nb\n",
			want: "diff --git a/f b/f\nindex 0a207c0..422c2b7 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
		},
		"two hunks": {
			old:  "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			new:  "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
			want: "diff --git a/f b/f\nindex 08fe19c..f924a56 100644\n--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Diff("f", nilMarker(tt.old), nilMarker(tt.new))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("Diff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// nilMarker lets a table say "no file" with "\x00nil".
func nilMarker(s string) []byte {
	if s == "\x00nil" {
		return nil
	}
	return []byte(s)
}

func TestDiffApplyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		old := randomText(rng)
		new := mutateText(rng, old)
		p, err := Diff("x.txt", []byte(old), []byte(new), WithContextLines(rng.IntN(4)))
		if err != nil {
			t.Fatal(err)
		}
		if old == new {
			if len(p.Files) != 0 {
				t.Fatalf("case %d: equal contents gave %d file diffs", i, len(p.Files))
			}
			continue
		}
		got, err := ApplyFile([]byte(old), p.Files[0], WithExactPositions())
		if err != nil {
			t.Fatalf("case %d: %v\npatch:\n%s", i, err, p)
		}
		if string(got) != new {
			t.Fatalf("case %d: apply gave %q, want %q\npatch:\n%s", i, got, new, p)
		}
		back, err := ApplyFile([]byte(new), Reverse(p).Files[0])
		if err != nil || string(back) != old {
			t.Fatalf("case %d: reverse gave %q, %v; want %q", i, back, err, old)
		}
		// The rendered patch parses back to the same hunks.
		q, err := ParseBytes(p.Bytes())
		if err != nil {
			t.Fatalf("case %d: reparse: %v\n%s", i, err, p)
		}
		if q.String() != p.String() {
			t.Fatalf("case %d: reparse changed the patch:\n%s\nvs\n%s", i, q, p)
		}
	}
}

// TestDiffMinimal checks the edit script is as short as the LCS allows on small inputs.
func TestDiffMinimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		a := randomInts(rng, rng.IntN(12))
		b := randomInts(rng, rng.IntN(12))
		del, ins := lineDiff(a, b)
		nd, ni := count(del), count(ins)
		lcs := lcsLen(a, b)
		if nd != len(a)-lcs || ni != len(b)-lcs {
			t.Fatalf("case %d: a=%v b=%v: %d deletions %d insertions, LCS %d", i, a, b, nd, ni, lcs)
		}
		// The kept elements must match pairwise.
		var ka, kb []int
		for j, d := range del {
			if !d {
				ka = append(ka, a[j])
			}
		}
		for j, d := range ins {
			if !d {
				kb = append(kb, b[j])
			}
		}
		if fmt.Sprint(ka) != fmt.Sprint(kb) {
			t.Fatalf("case %d: kept %v vs %v", i, ka, kb)
		}
	}
}

func count(bs []bool) (n int) {
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func randomInts(rng *rand.Rand, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = rng.IntN(4)
	}
	return out
}

func lcsLen(a, b []int) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func randomText(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(40) {
		fmt.Fprintf(&b, "line %d\n", rng.IntN(15))
	}
	s := b.String()
	if rng.IntN(4) == 0 {
		s = strings.TrimSuffix(s, "\n")
	}
	return s
}

func mutateText(rng *rand.Rand, s string) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for range rng.IntN(6) {
		i := 0
		if len(lines) > 0 {
			i = rng.IntN(len(lines) + 1)
		}
		switch rng.IntN(3) {
		case 0:
			lines = append(lines[:i], append([]string{fmt.Sprintf("new %d\n", rng.IntN(100))}, lines[i:]...)...)
		case 1:
			if i < len(lines) {
				lines = append(lines[:i], lines[i+1:]...)
			}
		case 2:
			if i < len(lines) {
				lines[i] = fmt.Sprintf("changed %d\n", rng.IntN(100))
			}
		}
	}
	out := strings.Join(lines, "")
	if rng.IntN(5) == 0 {
		out = strings.TrimSuffix(out, "\n")
	} else if rng.IntN(5) == 0 && out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out
}
