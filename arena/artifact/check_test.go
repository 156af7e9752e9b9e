package artifact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoFixture is a tiny Python-looking repository.
var repoFixture = map[string]string{
	"calc/ops.py":        "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
	"calc/util.py":       "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n",
	"tests/test_ops.py":  "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_add_neg():\n    assert add(-1, -2) == -3\n",
	"tests/test_util.py": "from calc.util import clamp\n\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n",
	"README.md":          "calc\n",
}

func writeRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range repoFixture {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const bugDiff = `diff --git a/calc/ops.py b/calc/ops.py
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -1,5 +1,5 @@
 def add(a, b):
-    return a + b
+    return a - b
 
 
 def sub(a, b):
`

const weakenDiff = `diff --git a/tests/test_ops.py b/tests/test_ops.py
--- a/tests/test_ops.py
+++ b/tests/test_ops.py
@@ -1,9 +1 @@
 from calc.ops import add
-
-
-def test_add():
-    assert add(1, 2) == 3
-
-
-def test_add_neg():
-    assert add(-1, -2) == -3
`

func validArtifact() *Artifact {
	return &Artifact{
		TestScript: "python3 -m pytest -rA tests/test_ops.py\n",
		TestFiles:  []string{"tests/test_ops.py"},
		Parser:     Parser{Builtin: "pytest"},
		BugDiff:    bugDiff,
		WeakenDiff: weakenDiff,
	}
}

func TestCheck(t *testing.T) {
	repo := writeRepo(t)
	tests := map[string]struct {
		edit func(a *Artifact)
		opts CheckOptions
		want string // substring of the rejection; "" means valid
	}{
		"valid":                 {edit: func(a *Artifact) {}},
		"valid script parser":   {edit: func(a *Artifact) { a.Parser = Parser{ScriptName: "test_parser.py", Script: "print('{}')\n"} }},
		"empty test script":     {edit: func(a *Artifact) { a.TestScript = " \n" }, want: "test_script.sh: the test script is empty"},
		"unknown parser":        {edit: func(a *Artifact) { a.Parser = Parser{Builtin: "nose"} }, want: `unknown builtin parser "nose"`},
		"no parser":             {edit: func(a *Artifact) { a.Parser = Parser{} }, want: "parser: no parser"},
		"no test files":         {edit: func(a *Artifact) { a.TestFiles = nil }, want: "no oracle test files"},
		"missing test file":     {edit: func(a *Artifact) { a.TestFiles = append(a.TestFiles, "tests/test_gone.py") }, want: "listed test file tests/test_gone.py does not exist"},
		"unclean test file":     {edit: func(a *Artifact) { a.TestFiles = []string{"../etc/passwd"} }, want: "not a clean repo-relative path"},
		"bug diff garbage":      {edit: func(a *Artifact) { a.BugDiff = "@@ nonsense\n+x\n" }, want: "bug_inject.diff:"},
		"bug diff empty":        {edit: func(a *Artifact) { a.BugDiff = "" }, want: "bug_inject.diff: the diff is empty"},
		"bug diff touches test": {edit: func(a *Artifact) { a.BugDiff = weakenDiff }, want: "bug_inject.diff: touches test file tests/test_ops.py"},
		"bug diff touches unlisted test": {
			edit: func(a *Artifact) {
				a.BugDiff = strings.ReplaceAll(weakenDiff, "tests/test_ops.py", "tests/test_util.py")
			},
			want: "touches test file tests/test_util.py",
		},
		"too few source files": {edit: func(a *Artifact) {}, opts: CheckOptions{MinChangedFiles: 2}, want: "touches 1 source file(s), fewer than the 2 required"},
		"weaken touches unlisted": {
			edit: func(a *Artifact) { a.TestFiles = []string{"tests/test_util.py"} },
			want: "test_weaken.diff: touches tests/test_ops.py, which is not listed",
		},
		"weaken empty": {edit: func(a *Artifact) { a.WeakenDiff = "\n" }, want: "test_weaken.diff: the diff is empty"},
		"bug diff does not apply": {
			edit: func(a *Artifact) { a.BugDiff = strings.Replace(bugDiff, " def sub(a, b):", " def mul(a, b):", 1) },
			want: "bug_inject.diff: does not apply to the repository",
		},
		"binary bug diff": {
			edit: func(a *Artifact) {
				a.BugDiff = "diff --git a/calc/blob.bin b/calc/blob.bin\nindex 1234567..89abcde 100644\nBinary files a/calc/blob.bin and b/calc/blob.bin differ\n"
			},
			want: "binary",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := validArtifact()
			tc.edit(a)
			if tc.opts.IsTestFile == nil {
				tc.opts.IsTestFile = fixtureTestRule
			}
			diffs, err := Check(a, repo, tc.opts)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check = %v, want valid", err)
				}
				if len(diffs.Bug.Files) != 1 || len(diffs.Weaken.Files) != 1 {
					t.Fatalf("parsed diffs have %d and %d files, want 1 and 1", len(diffs.Bug.Files), len(diffs.Weaken.Files))
				}
				return
			}
			r, ok := IsRejection(err)
			if !ok {
				t.Fatalf("Check = %v, want a rejection containing %q", err, tc.want)
			}
			if r.Step != "static" {
				t.Errorf("rejection step = %q, want static", r.Step)
			}
			if !strings.Contains(r.Error(), tc.want) {
				t.Errorf("rejection = %q, want it to contain %q", r.Error(), tc.want)
			}
		})
	}
}

// fixtureTestRule is the fixture's test-file rule (a plugin's answer, in the arena).
func fixtureTestRule(p string) bool { return strings.HasPrefix(p, "tests/") }

func TestCheckUsesPluginTestRule(t *testing.T) {
	repo := writeRepo(t)
	a := validArtifact()
	_, err := Check(a, repo, CheckOptions{IsTestFile: func(p string) bool { return strings.HasPrefix(p, "calc/") }})
	if r, ok := IsRejection(err); !ok || !strings.Contains(r.Reason, "touches test file calc/ops.py") {
		t.Fatalf("Check with a plugin rule = %v, want calc/ops.py counted as a test file", err)
	}
}
