package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

// typeCheck reports whether src (one file of package calc) compiles as far as go/types can tell.
func typeCheck(t *testing.T, imp types.Importer, src []byte) error {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		return err
	}
	_, err = (&types.Config{Importer: imp}).Check("calc", fset, []*ast.File{f}, nil)
	return err
}

// TestMutationsCompile applies every site × operator to the fixture's source: each mutant must differ,
// parse, and type-check (the operators are chosen so that Go still compiles the result), and every
// operator must be used at least once.
func TestMutationsCompile(t *testing.T) {
	src, err := os.ReadFile("testdata/fixture/repo/calc/calc.go")
	if err != nil {
		t.Fatal(err)
	}
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	if err := typeCheck(t, imp, src); err != nil {
		t.Fatalf("the fixture itself does not type-check: %v", err)
	}
	ctx := t.Context()
	sites, err := goLanguage{}.MutationSites(ctx, &plugin.MutationSitesRequest{Path: "calc.go", Source: src})
	if err != nil || sites.ParseError != "" {
		t.Fatalf("MutationSites: %v %s", err, sites.ParseError)
	}
	used := map[string]int{}
	var refused []string
	for _, s := range sites.Sites {
		for _, op := range s.Operators {
			r, err := goLanguage{}.ApplyMutation(ctx, &plugin.ApplyMutationRequest{Path: "calc.go", Source: src, Site: s, Operator: op})
			if err != nil {
				t.Fatal(err)
			}
			if r.Refused != "" {
				refused = append(refused, r.Refused)
				continue
			}
			used[op]++
			if bytes.Equal(r.Source, src) {
				t.Errorf("%s at %d:%d: unchanged", op, s.Line, s.Column)
			}
			if err := typeCheck(t, imp, r.Source); err != nil {
				t.Errorf("%s at %d:%d (%s, %s): mutant does not compile: %v", op, s.Line, s.Column, s.Function, r.Description, err)
			}
		}
	}
	for _, op := range plugin.AllOperators {
		if used[op] == 0 {
			t.Errorf("operator %s never applied on the fixture", op)
		}
	}
	t.Logf("%d sites, mutants per operator: %v; refused %d: %q", len(sites.Sites), used, len(refused), refused)
}

// TestApplyMutationCases pins what each operator writes, byte for byte around the site.
func TestApplyMutationCases(t *testing.T) {
	const header = "package p\n\nimport \"fmt\"\n\n"
	tests := map[string]struct {
		body, node, op, find string // find: the text of the site's range (first match)
		want                 string
	}{
		"comparison":      {body: "func F(a, b int) bool { return a < b }\n", node: "*ast.BinaryExpr", op: plugin.OpComparisonFlip, find: "a < b", want: "return a >= b"},
		"boolean":         {body: "func F(a, b bool) bool { return a && b }\n", node: "*ast.BinaryExpr", op: plugin.OpBooleanSwap, find: "a && b", want: "return a || b"},
		"arithmetic":      {body: "func F(a, b int) int { return a * b }\n", node: "*ast.BinaryExpr", op: plugin.OpArithmeticSwap, find: "a * b", want: "return a / b"},
		"assign op":       {body: "func F(a int) int { a += 2; return a }\n", node: "*ast.AssignStmt", op: plugin.OpArithmeticSwap, find: "a += 2", want: "a -= 2;"},
		"hex constant":    {body: "func F() int { return 0xf }\n", node: "*ast.BasicLit", op: plugin.OpConstantOffByOne, find: "0xf", want: "return 0x10"},
		"upper hex":       {body: "func F() int { return 0X1F }\n", node: "*ast.BasicLit", op: plugin.OpConstantOffByOne, find: "0X1F", want: "return 0X20"},
		"legacy octal":    {body: "func F() int { return 010 }\n", node: "*ast.BasicLit", op: plugin.OpConstantMinusOne, find: "010", want: "return 07"},
		"padded hex":      {body: "func F() int { return 0x0f }\n", node: "*ast.BasicLit", op: plugin.OpConstantOffByOne, find: "0x0f", want: "REFUSED"},
		"underscores":     {body: "func F() int { return 1_000 }\n", node: "*ast.BasicLit", op: plugin.OpConstantOffByOne, find: "1_000", want: "REFUSED"},
		"boundary":        {body: "func F(a, b int) bool { return a >= b }\n", node: "*ast.BinaryExpr", op: plugin.OpBoundaryShift, find: "a >= b", want: "return a > b"},
		"no boundary":     {body: "func F(a, b int) bool { return a == b }\n", node: "*ast.BinaryExpr", op: plugin.OpBoundaryShift, find: "a == b", want: "REFUSED"},
		"shift":           {body: "func F(a int) int { return a << 2 }\n", node: "*ast.BinaryExpr", op: plugin.OpArithmeticSwap, find: "a << 2", want: "return a >> 2"},
		"remainder":       {body: "func F(a, b int) int { return a % b }\n", node: "*ast.BinaryExpr", op: plugin.OpArithmeticSwap, find: "a % b", want: "REFUSED"},
		"negate a not":    {body: "func F(a bool) int { if !a { return 1 }; return 0 }\n", node: "*ast.IfStmt", op: plugin.OpNegateCondition, find: "!a", want: "if !(!a) {"},
		"written not":     {body: "func F(a bool) int { if !( a ) { return 1 }; return 0 }\n", node: "*ast.IfStmt", op: plugin.OpNegateCondition, find: "!( a )", want: "if !(!( a )) {"},
		"negate":          {body: "func F(a bool) int { if a { return 1 }; return 0 }\n", node: "*ast.IfStmt", op: plugin.OpNegateCondition, find: "a", want: "if !(a) {"},
		"un-negate":       {body: "func F(a bool) int { if !(a) { return 1 }; return 0 }\n", node: "*ast.IfStmt", op: plugin.OpNegateCondition, find: "!(a)", want: "if a {"},
		"default named":   {body: "type T struct{}\n\nfunc F() (T, error) { return T{}, fmt.Errorf(\"x\") }\n", node: "*ast.ReturnStmt", op: plugin.OpDefaultReturn, find: "return T{}, fmt.Errorf(\"x\")", want: "return *new(T), nil"},
		"swap":            {body: "func F(a, b int) { fmt.Println(a, b) }\n", node: "*ast.CallExpr", op: plugin.OpSwapArguments, find: "fmt.Println(a, b)", want: "fmt.Println(b, a)"},
		"swap mixed":      {body: "func F(a int) { fmt.Println(a, \"a\") }\n", node: "*ast.CallExpr", op: plugin.OpSwapArguments, find: "fmt.Println(a, \"a\")", want: "REFUSED"},
		"swap append":     {body: "func F(a []int, b int) []int { return append(a, b) }\n", node: "*ast.CallExpr", op: plugin.OpSwapArguments, find: "append(a, b)", want: "REFUSED"},
		"unused after":    {body: "func F() (int, error) {\n\tv := 2\n\treturn v, nil\n}\n", node: "*ast.ReturnStmt", op: plugin.OpDefaultReturn, find: "return v, nil", want: "REFUSED"},
		"remove body":     {body: "func F() string {\n\treturn fmt.Sprint(1)\n}\n", node: "*ast.FuncDecl", op: plugin.OpRemoveBody, find: "{\n\treturn fmt.Sprint(1)\n}", want: "func F() string {\n\treturn \"\"\n}"},
		"remove stmt":     {body: "func F() {\n\tfmt.Println()\n\t_ = 1\n}\n", node: "*ast.ExprStmt", op: plugin.OpRemoveStatement, find: "fmt.Println()", want: "func F() {\n\t_ = 1\n}"},
		"named results":   {body: "func F() (n int, err error) {\n\tn = 1\n\treturn n, fmt.Errorf(\"x\")\n}\n", node: "*ast.FuncDecl", op: plugin.OpRemoveBody, find: "{\n\tn = 1\n\treturn n, fmt.Errorf(\"x\")\n}", want: "func F() (n int, err error) {\n\treturn\n}"},
		"string concat":   {body: "func F(s string) string { return s + \"x\" }\n", node: "*ast.BinaryExpr", op: plugin.OpArithmeticSwap, find: "s + \"x\"", want: "REFUSED"},
		"final return":    {body: "func F() int {\n\tfmt.Println()\n\treturn 1\n}\n", node: "*ast.ReturnStmt", op: plugin.OpRemoveStatement, find: "return 1", want: "REFUSED"},
		"define kept":     {body: "func F() int {\n\tx := 1\n\treturn x\n}\n", node: "*ast.AssignStmt", op: plugin.OpRemoveStatement, find: "x := 1", want: "REFUSED"},
		"wrong operator":  {body: "func F(a, b int) bool { return a < b }\n", node: "*ast.BinaryExpr", op: plugin.OpBooleanSwap, find: "a < b", want: "REFUSED"},
		"unknown section": {body: "func F() { fmt.Println(1, 2) }\n", node: "*ast.CallExpr", op: plugin.OpSwapArguments, find: "fmt.Println(1, 2)", want: "fmt.Println(2, 1)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := []byte(header + tc.body)
			if !strings.Contains(string(src), "fmt.") {
				src = []byte(strings.Replace(string(src), "import \"fmt\"\n\n", "", 1))
			}
			start := bytes.Index(src, []byte(tc.find))
			if tc.node == "*ast.IfStmt" {
				start = bytes.Index(src, []byte("if "+tc.find)) + 3
			}
			site := plugin.MutationSite{StartByte: start, EndByte: start + len(tc.find), Node: tc.node}
			r, err := goLanguage{}.ApplyMutation(t.Context(), &plugin.ApplyMutationRequest{Path: "p.go", Source: src, Site: site, Operator: tc.op})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "REFUSED" {
				if r.Refused == "" {
					t.Errorf("applied (%s), want refused:\n%s", r.Description, r.Source)
				}
				return
			}
			if r.Refused != "" {
				t.Fatalf("refused: %s", r.Refused)
			}
			if !bytes.Contains(r.Source, []byte(tc.want)) {
				t.Errorf("result lacks %q:\n%s", tc.want, r.Source)
			}
			if err := typeCheck(t, importer.ForCompiler(token.NewFileSet(), "source", nil), r.Source); err != nil && !strings.Contains(name, "named") {
				t.Errorf("mutant does not compile: %v\n%s", err, r.Source)
			}
			// outside the site's statement, every byte is kept
			if !strings.HasPrefix(tc.op, "remove_") && !bytes.HasPrefix(r.Source, src[:start]) {
				t.Errorf("bytes before the site changed")
			}
		})
	}
}

func TestMutationSitesFunctionNames(t *testing.T) {
	src := []byte("package p\n\ntype S[T any] struct{ n int }\n\nfunc (s *S[T]) Inc() { s.n++ }\n\nfunc Top() func() int { return func() int { return 1 + 2 } }\n")
	r, err := goLanguage{}.MutationSites(t.Context(), &plugin.MutationSitesRequest{Source: src})
	if err != nil || r.ParseError != "" {
		t.Fatal(err, r.ParseError)
	}
	var got []string
	for _, s := range r.Sites {
		got = append(got, fmt.Sprintf("%s %s", s.Function, s.Node))
	}
	for _, want := range []string{"S.Inc *ast.IncDecStmt", "Top *ast.BinaryExpr", "Top *ast.FuncDecl"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}

// FuzzReachable: on any file that parses, every invertible operator at every site is undone byte for byte
// by one solver edit at the site (plugintest.Reachable, three-site and order-2 cases included).
func FuzzReachable(f *testing.F) {
	for _, seed := range []string{
		"package p\n\nfunc F(a, b int) bool {\n\tif a < b && b > 0x1F {\n\t\treturn g(a, 1)\n\t}\n\treturn a%b == 0\n}\n",
		"package p\n\nfunc F(a bool) {\n\tif !a {\n\t}\n\tif !(!(a)) {\n\t}\n\tif !( a ) {\n\t}\n}\n",
		"package p\n\nfunc F(n int) int {\n\tn <<= 0X1F\n\tn++\n\treturn n &^ 010 + 1_000 + 0x0f\n}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1024 {
			return
		}
		resp, err := goLanguage{}.MutationSites(t.Context(), &plugin.MutationSitesRequest{Path: "f.go", Source: src})
		if err != nil || resp.ParseError != "" || len(resp.Sites) > 40 {
			return
		}
		r, err := plugintest.Reachable(t.Context(), goLanguage{}, "f.go", src)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range r.Failures {
			t.Errorf("%s\n%s", msg, src)
		}
	})
}
