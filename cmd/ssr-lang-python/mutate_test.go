package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

var ctx = context.Background()

// stdlibSamples are CPython 3.11 modules mutated in TestEveryMutationParses when they are present.
var stdlibSamples = []string{"textwrap.py", "heapq.py", "bisect.py", "json/decoder.py", "shlex.py", "fractions.py", "colorsys.py"}

func sites(t testing.TB, path string, src []byte, ops ...string) []plugin.MutationSite {
	t.Helper()
	resp, err := (&python{}).MutationSites(ctx, &plugin.MutationSitesRequest{Path: path, Source: src, Operators: ops})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ParseError != "" {
		t.Fatalf("%s: %s", path, resp.ParseError)
	}
	return resp.Sites
}

func apply(t testing.TB, path string, src []byte, site plugin.MutationSite, op string) *plugin.ApplyMutationResponse {
	t.Helper()
	resp, err := (&python{}).ApplyMutation(ctx, &plugin.ApplyMutationRequest{Path: path, Source: src, Site: site, Operator: op})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestEveryMutationParses applies every operator at every site of the sample module and of a few standard
// library modules: each result must be accepted, differ from the input only inside the site, and parse with
// tree-sitter; the sample's results, and a sample of the others, must also pass CPython's ast.parse.
func TestEveryMutationParses(t *testing.T) {
	files := []string{filepath.Join("testdata", "mutation", "sample.py")}
	for _, f := range stdlibSamples {
		if p := filepath.Join("/usr/lib/python3.11", f); fileExists(p) {
			files = append(files, p)
		}
	}
	if len(files) == 1 {
		t.Log("no CPython 3.11 standard library under /usr/lib/python3.11: only the sample module is mutated")
	}
	astDir := t.TempDir()
	var astFiles []string
	perOp := map[string]int{}
	total := 0
	for fi, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for si, site := range sites(t, file, src) {
			for _, op := range site.Operators {
				resp := apply(t, file, src, site, op)
				where := fmt.Sprintf("%s:%d:%d %s %s", file, site.Line, site.Column, site.Node, op)
				if resp.Refused != "" {
					t.Errorf("%s: refused: %s", where, resp.Refused)
					continue
				}
				out := resp.Source
				total++
				perOp[op]++
				if bytes.Equal(out, src) {
					t.Errorf("%s: result equals the input", where)
				}
				tail := len(src) - site.EndByte
				if !bytes.Equal(out[:site.StartByte], src[:site.StartByte]) || len(out) < site.StartByte+tail ||
					!bytes.Equal(out[len(out)-tail:], src[site.EndByte:]) {
					t.Errorf("%s: bytes outside the site changed", where)
				}
				if fi == 0 { // ApplyMutation checked with an incremental parse; check the sample afresh too
					if err := checkSyntax(out); err != nil {
						t.Errorf("%s: result does not parse: %v", where, err)
					}
				}
				if resp.Description == "" {
					t.Errorf("%s: no description", where)
				}
				if fi == 0 || (si+len(astFiles))%11 == 0 {
					name := filepath.Join(astDir, fmt.Sprintf("m%05d.py", len(astFiles)))
					if err := os.WriteFile(name, out, 0o644); err != nil {
						t.Fatal(err)
					}
					astFiles = append(astFiles, name)
				}
			}
		}
	}
	for _, op := range plugin.AllOperators {
		if perOp[op] == 0 {
			t.Errorf("operator %s applied nowhere", op)
		}
	}
	t.Logf("%d mutations over %d files; per operator %v; %d checked with ast.parse", total, len(files), perOp, len(astFiles))
	astParseAll(t, astFiles)
}

// astParseAll runs one CPython process that ast.parses every file and fails the test for each that does not.
func astParseAll(t *testing.T, files []string) {
	t.Helper()
	py := ""
	for _, c := range []string{"python3", "/usr/bin/python3"} {
		if p, err := exec.LookPath(c); err == nil {
			if exec.Command(p, "-c", "import sys; sys.exit(sys.version_info < (3, 10))").Run() == nil {
				py = p
				break
			}
		}
	}
	if py == "" {
		t.Skip("no python3 ≥ 3.10 for the ast.parse check")
	}
	list := filepath.Join(t.TempDir(), "files.txt")
	if err := os.WriteFile(list, []byte(strings.Join(files, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import ast, sys
bad = 0
for f in open(sys.argv[1]).read().split("\n"):
    try:
        ast.parse(open(f, encoding="utf-8").read(), f)
    except SyntaxError as e:
        bad += 1
        print(f"{f}:{e.lineno}: {e.msg}")
sys.exit(1 if bad else 0)
`
	out, err := exec.Command(py, "-c", script, list).CombinedOutput()
	if err != nil {
		t.Errorf("ast.parse rejected mutants: %v\n%s", err, out)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestApplyMutationGolden applies each operator at its first site in testdata/mutation/golden/input.py and
// compares with testdata/mutation/golden/<operator>.out (the description as a comment, then the file).
// Run with -update to rewrite them.
func TestApplyMutationGolden(t *testing.T) {
	dir := filepath.Join("testdata", "mutation", "golden")
	src, err := os.ReadFile(filepath.Join(dir, "input.py"))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range plugin.AllOperators {
		t.Run(op, func(t *testing.T) {
			list := sites(t, "input.py", src, op)
			if len(list) == 0 {
				t.Fatalf("no site for %s", op)
			}
			resp := apply(t, "input.py", src, list[0], op)
			if resp.Refused != "" {
				t.Fatalf("refused: %s", resp.Refused)
			}
			got := append([]byte("# "+resp.Description+"\n"), resp.Source...)
			path := filepath.Join(dir, op+".out")
			if *update {
				writeFile(t, path, got)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (run with -update if intended):\n%s", path, got)
			}
		})
	}
}

// TestMutationSitesTable checks sites, operators, function names and results on small snippets.
func TestMutationSitesTable(t *testing.T) {
	tests := map[string]struct {
		src      string
		op       string
		nth      int    // which site with op (0-based)
		function string // expected Function of that site
		want     string // expected result
	}{
		"comparison chain flips the first": {"x = a < b <= c\n", plugin.OpComparisonFlip, 0, "", "x = a >= b <= c\n"},
		"not in":                           {"ok = k not in d\n", plugin.OpComparisonFlip, 0, "", "ok = k in d\n"},
		"is not":                           {"ok = k is not None\n", plugin.OpComparisonFlip, 0, "", "ok = k is None\n"},
		"in":                               {"ok = (k)in(d)\n", plugin.OpComparisonFlip, 0, "", "ok = (k)not in(d)\n"},
		"boolean":                          {"def f(a, b):\n    return a or b\n", plugin.OpBooleanSwap, 0, "f", "def f(a, b):\n    return a and b\n"},
		"floor division":                   {"q = a // b\n", plugin.OpArithmeticSwap, 0, "", "q = a % b\n"},
		"modulo":                           {"q = a % b\n", plugin.OpArithmeticSwap, 0, "", "q = a // b\n"},
		"boundary":                         {"x = a <= b\n", plugin.OpBoundaryShift, 0, "", "x = a < b\n"},
		"boundary chain shifts the first":  {"x = a > b >= c\n", plugin.OpBoundaryShift, 0, "", "x = a >= b >= c\n"},
		"upper-case hex constant":          {"m = 0XFF\n", plugin.OpConstantOffByOne, 0, "", "m = 0X100\n"},
		"binary constant minus one":        {"m = 0b100\n", plugin.OpConstantMinusOne, 0, "", "m = 0b11\n"},
		"augmented":                        {"n += 1\n", plugin.OpArithmeticSwap, 0, "", "n -= 1\n"},
		"hex constant":                     {"m = 0xff\n", plugin.OpConstantOffByOne, 0, "", "m = 0x100\n"},
		"big constant":                     {"m = 99999999999999999999\n", plugin.OpConstantOffByOne, 0, "", "m = 100000000000000000000\n"},
		"negate elif": {"if a:\n    pass\nelif b > 1:\n    x = 1\n", plugin.OpNegateCondition, 1, "",
			"if a:\n    pass\nelif not (b > 1):\n    x = 1\n"},
		"negate while multi-line": {"while (a and\n       b):\n    a -= 1\n", plugin.OpNegateCondition, 0, "",
			"while (not (a and\n       b)):\n    a -= 1\n"},
		"negate undoes its own negation": {"if not (a or b):\n    pass\n", plugin.OpNegateCondition, 0, "", "if a or b:\n    pass\n"},
		"negate keeps a written not":     {"if not(a):\n    pass\n", plugin.OpNegateCondition, 0, "", "if not (not(a)):\n    pass\n"},
		"remove statement keeps indentation": {"class A:\n    def m(self):\n        x = 1\n        return x\n", plugin.OpRemoveStatement, 0, "A.m",
			"class A:\n    def m(self):\n        pass\n        return x\n"},
		"remove statement one-liner": {"if x: y = 1; z = 2\n", plugin.OpRemoveStatement, 2, "", "if x: y = 1; pass\n"},
		"default return tuple":       {"def f():\n    return 1, 2\n", plugin.OpDefaultReturn, 0, "f", "def f():\n    return None\n"},
		"swap the first two":         {"f(a, b, c, key=d)\n", plugin.OpSwapArguments, 0, "", "f(b, a, c, key=d)\n"},
		"swap nested function": {"def outer():\n    def inner():\n        g(1, 2)\n", plugin.OpSwapArguments, 0, "outer.inner",
			"def outer():\n    def inner():\n        g(2, 1)\n"},
		"remove body keeps docstring": {"def f(x):\n    \"\"\"Doc.\"\"\"\n    y = x\n    # note\n    return y\n", plugin.OpRemoveBody, 0, "f",
			"def f(x):\n    \"\"\"Doc.\"\"\"\n    pass\n"},
		"negate glued condition": {"while(n > 0):\n    n -= 1\n", plugin.OpNegateCondition, 0, "", "while(not (n > 0)):\n    n -= 1\n"},
		"default return glued":   {"def f():\n    return(1)\n", plugin.OpDefaultReturn, 0, "f", "def f():\n    return None\n"},
		"swap across a line continuation": {"g('a' + b, \\\n  c, 1)\n", plugin.OpSwapArguments, 0, "",
			"g(c, \\\n  'a' + b, 1)\n"},
		"remove body of method names it": {"class C:\n    @property\n    def p(self): return 1\n", plugin.OpRemoveBody, 0, "C.p",
			"class C:\n    @property\n    def p(self): pass\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := []byte(tc.src)
			list := sites(t, "m.py", src, tc.op)
			if tc.nth >= len(list) {
				t.Fatalf("%d sites for %s, want more than %d: %+v", len(list), tc.op, tc.nth, list)
			}
			site := list[tc.nth]
			if site.Function != tc.function {
				t.Errorf("Function = %q, want %q", site.Function, tc.function)
			}
			resp := apply(t, "m.py", src, site, tc.op)
			if resp.Refused != "" {
				t.Fatalf("refused: %s", resp.Refused)
			}
			if string(resp.Source) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", resp.Source, tc.want)
			}
		})
	}
}

func TestMutationSitesNone(t *testing.T) {
	tests := map[string]struct{ src, op string }{
		"body only docstring":      {"def f():\n    \"\"\"Doc.\"\"\"\n", plugin.OpRemoveBody},
		"body only pass":           {"def f():\n    pass\n", plugin.OpRemoveBody},
		"body only ellipsis":       {"def f(): ...\n", plugin.OpRemoveBody},
		"bare return":              {"def f():\n    return\n", plugin.OpDefaultReturn},
		"return None":              {"def f():\n    return None\n", plugin.OpDefaultReturn},
		"swap identical":           {"g(a, a)\n", plugin.OpSwapArguments},
		"swap only the first two":  {"g(a, a, b)\n", plugin.OpSwapArguments},
		"power has no partner":     {"p = a ** b\n", plugin.OpArithmeticSwap},
		"xor has no partner":       {"p = a ^ b\n", plugin.OpArithmeticSwap},
		"python 2 not-equal":       {"p = a <> b\n", plugin.OpComparisonFlip},
		"equality has no boundary": {"p = a == b\n", plugin.OpBoundaryShift},
		"underscored constant":     {"z = 1_000\n", plugin.OpConstantOffByOne},
		"leading zeros":            {"z = 00\n", plugin.OpConstantOffByOne},
		"mixed-case hex":           {"z = 0xFf\n", plugin.OpConstantOffByOne},
		"swap keywords":            {"g(a, key=b)\n", plugin.OpSwapArguments},
		"swap splat":               {"g(*a, b)\n", plugin.OpSwapArguments},
		"generator argument only":  {"g(x for x in y)\n", plugin.OpSwapArguments},
		"class bases":              {"class A(B, C):\n    pass\n", plugin.OpSwapArguments},
		"imaginary":                {"z = 1j\n", plugin.OpConstantOffByOne},
		"float":                    {"z = 1.5\n", plugin.OpConstantOffByOne},
		"imports and docstrings":   {"\"\"\"Doc.\"\"\"\nimport os\nfrom a import b\n", plugin.OpRemoveStatement},
		"pass":                     {"pass\n", plugin.OpRemoveStatement},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := sites(t, "m.py", []byte(tc.src), tc.op); len(got) != 0 {
				t.Errorf("unexpected %s sites: %+v", tc.op, got)
			}
		})
	}
}

func TestMutationSitesParseErrorAndRefusals(t *testing.T) {
	resp, err := (&python{}).MutationSites(ctx, &plugin.MutationSitesRequest{Path: "bad.py", Source: []byte("def f(:\n    pass\n")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ParseError == "" || len(resp.Sites) != 0 || !strings.Contains(resp.ParseError, "bad.py") || !strings.Contains(resp.ParseError, "line 1") {
		t.Errorf("ParseError = %q, sites %d; want a parse error naming bad.py line 1 and no sites", resp.ParseError, len(resp.Sites))
	}
	src := []byte("x = a + b\n")
	list := sites(t, "m.py", src, plugin.OpArithmeticSwap)
	if len(list) != 1 {
		t.Fatalf("%d sites", len(list))
	}
	if r := apply(t, "m.py", src, list[0], plugin.OpBooleanSwap); r.Refused == "" || r.Source != nil {
		t.Errorf("boolean_swap on '+': %+v, want refused", r)
	}
	moved := list[0]
	moved.StartByte++
	if r := apply(t, "m.py", src, moved, plugin.OpArithmeticSwap); r.Refused == "" {
		t.Errorf("shifted site accepted: %+v", r)
	}
	moved.StartByte, moved.EndByte = 5, 500
	if r := apply(t, "m.py", src, moved, plugin.OpArithmeticSwap); r.Refused == "" {
		t.Errorf("out-of-range site accepted: %+v", r)
	}
	if r := apply(t, "m.py", []byte("x = (\n"), list[0], plugin.OpArithmeticSwap); r.Refused == "" || !strings.Contains(r.Refused, "does not parse") {
		t.Errorf("broken source: %+v", r)
	}
	// The operator filter keeps only the asked operators; site order is source order.
	all := sites(t, "m.py", []byte("if a < 1:\n    b = c + 2\n"))
	for i := 1; i < len(all); i++ {
		if all[i].StartByte < all[i-1].StartByte {
			t.Errorf("sites out of order: %+v", all)
		}
	}
	for _, s := range sites(t, "m.py", []byte("if a < 1:\n    b = c + 2\n"), plugin.OpConstantOffByOne) {
		if len(s.Operators) != 1 || s.Operators[0] != plugin.OpConstantOffByOne || s.Node != "integer" {
			t.Errorf("filtered site %+v", s)
		}
	}
}

// FuzzMutations checks, on any source that parses, that every applied mutation (up to a bound) parses afresh,
// differs from the input only inside its site, and that refusals carry no source.
func FuzzMutations(f *testing.F) {
	f.Add([]byte("def f(a, b):\n    if a < b and b:\n        return g(a, 1)\n    return -a\n"))
	f.Add([]byte("while(n):\n    n -= 1\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 4096 {
			return
		}
		resp, err := (&python{}).MutationSites(ctx, &plugin.MutationSitesRequest{Path: "f.py", Source: src})
		if err != nil {
			t.Fatal(err)
		}
		if resp.ParseError != "" {
			return
		}
		tried := 0
		for _, site := range resp.Sites {
			for _, op := range site.Operators {
				if tried++; tried > 40 {
					return
				}
				r := apply(t, "f.py", src, site, op)
				if r.Refused != "" {
					if len(r.Source) != 0 {
						t.Fatalf("refused with a source")
					}
					continue
				}
				if bytes.Equal(r.Source, src) {
					t.Fatalf("%s at %+v: unchanged", op, site)
				}
				tail := len(src) - site.EndByte
				if len(r.Source) < site.StartByte+tail || !bytes.Equal(r.Source[:site.StartByte], src[:site.StartByte]) ||
					!bytes.Equal(r.Source[len(r.Source)-tail:], src[site.EndByte:]) {
					t.Fatalf("%s at %+v: bytes outside the site changed", op, site)
				}
				if err := checkSyntax(r.Source); err != nil {
					t.Fatalf("%s at %+v: accepted but a fresh parse fails: %v\n%s", op, site, err, r.Source)
				}
			}
		}
	})
}

// FuzzReachable: on any module that parses, every invertible operator at every site is undone byte for
// byte by one solver edit at the site (plugintest.Reachable, three-site and order-2 cases included).
func FuzzReachable(f *testing.F) {
	for _, seed := range []string{
		"def f(a, b):\n    if a < b and b:\n        return g(a, 1)\n    return a // b\n",
		"while(n > 0x1F):\n    n -= 1\n",
		"if not (a or b):\n    pass\nelif not (not (c)):\n    pass\n",
		"if-x:\n    pass\n",
		"ok = k not  in d\nz = 0XFF << 0b10\n",
		"f(a, a, b)\ng(1_000, 00)\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1024 {
			return
		}
		resp, err := (&python{}).MutationSites(ctx, &plugin.MutationSitesRequest{Path: "f.py", Source: src})
		if err != nil || resp.ParseError != "" || len(resp.Sites) > 40 {
			return
		}
		r, err := plugintest.Reachable(ctx, &python{}, "f.py", src)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range r.Failures {
			t.Errorf("%s\n%s", msg, src)
		}
	})
}
