package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

func TestDetect(t *testing.T) {
	tests := map[string]struct {
		files    []string
		min, max float64
	}{
		"module":             {files: []string{"go.mod", "a.go", "a_test.go"}, min: 0.9, max: 1},
		"nested modules":     {files: []string{"svc/go.mod", "svc/a.go"}, min: 0.5, max: 0.9},
		"gopath code":        {files: []string{"a.go"}, min: 0.01, max: 0.49},
		"python":             {files: []string{"setup.py", "x/__init__.py"}, max: 0},
		"only vendored code": {files: []string{"x/vendor/y/y.go"}, max: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := goLanguage{}.Detect(t.Context(), &plugin.DetectRequest{Files: tc.files})
			if err != nil {
				t.Fatal(err)
			}
			if r.Confidence < tc.min || r.Confidence > tc.max || r.Reason == "" {
				t.Errorf("confidence %.2f (%s), want in [%.2f, %.2f]", r.Confidence, r.Reason, tc.min, tc.max)
			}
		})
	}
}

func TestTestFiles(t *testing.T) {
	files := []string{"go.mod", "a.go", "a_test.go", "p/testdata/in.txt", "testdata/golden.out", "vendor/x/x_test.go", "p/q.go",
		"vendor/x/x.go", "tools/go.mod", "tools/gen.go", "tools/deep/go.mod", "p/testdata/mod/go.mod", "p/testdata/mod/m.go",
		"_old/o.go", ".hidden/h.go", "p/_gen.go", "docs/d.go", "examples/e/main.go", "benchmarks/b.go", "internal/docs.go",
		"cmd/x/main.go", "README.md"}
	r, err := goLanguage{}.TestFiles(t.Context(), &plugin.TestFilesRequest{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a_test.go", "p/testdata/in.txt", "testdata/golden.out", "p/testdata/mod/go.mod", "p/testdata/mod/m.go"}
	if !slices.Equal(r.TestFiles, want) {
		t.Errorf("test files %q, want %q", r.TestFiles, want)
	}
	if want := []string{"a.go", "p/q.go", "internal/docs.go", "cmd/x/main.go"}; !slices.Equal(r.Sources, want) {
		t.Errorf("sources %q, want %q", r.Sources, want)
	}
	wantWarn := []string{
		"nested Go module tools/ (tools/go.mod) is not tested by go test ./...; its files are left out",
		"nested Go module tools/deep/ (tools/deep/go.mod) is not tested by go test ./...; its files are left out",
	}
	if !slices.Equal(r.Warnings, wantWarn) {
		t.Errorf("warnings %q, want %q", r.Warnings, wantWarn)
	}
}

func TestTestCommand(t *testing.T) {
	tests := map[string]struct {
		files []string
		want  string
	}{
		"all":             {want: `go test -json -count=1 -timeout 5m ./... 2>&1 | tee "$ssr_out"`},
		"root and nested": {files: []string{"a_test.go", "p/q/x_test.go", "p/q/y_test.go"}, want: `go test -json -count=1 -timeout 5m . ./p/q 2>&1 | tee "$ssr_out"`},
		"testdata owner":  {files: []string{"p/testdata/deep/in.txt", "testdata/x"}, want: `go test -json -count=1 -timeout 5m . ./p 2>&1 | tee "$ssr_out"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := goLanguage{}.TestCommand(t.Context(), &plugin.TestCommandRequest{TestFiles: tc.files})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Script, tc.want+"\n") || r.Parser != ParserGoTestJSON {
				t.Errorf("script %q (parser %s), want the line %q", r.Script, r.Parser, tc.want)
			}
		})
	}
}

func TestRecipe(t *testing.T) {
	r, err := goLanguage{}.Recipe(t.Context(), &plugin.RecipeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Env["CGO_ENABLED"] != "0" || r.Env["GOPROXY"] != "off" || !slices.Contains(r.Packages, "golang-go") {
		t.Errorf("recipe %+v", r)
	}
	if len(r.Setup) == 0 || !strings.Contains(r.Setup[len(r.Setup)-1], "-run '^$'") {
		t.Errorf("the last setup step should warm the build cache: %q", r.Setup)
	}
}

func TestParseTestOutputUnknownParser(t *testing.T) {
	if _, err := (goLanguage{}).ParseTestOutput(t.Context(), &plugin.ParseTestOutputRequest{Parser: "pytest"}); err == nil || !strings.Contains(err.Error(), "pytest") {
		t.Errorf("err = %v, want one naming the parser", err)
	}
}

func TestImportName(t *testing.T) {
	tests := map[string]string{
		`"fmt"`: "fmt", `"gopkg.in/yaml.v3"`: "yaml", `"github.com/x/y/v2"`: "y", `"github.com/mattn/go-isatty"`: "isatty",
		`"example.com/some-thing"`: "", `x "fmt"`: "x", `_ "embed"`: "",
	}
	for spec, want := range tests {
		src := "package p\nimport " + spec + "\n"
		r := pruneImports([]byte(src))
		kept := strings.Contains(string(r), "import")
		if (want == "") != kept {
			t.Errorf("%s: pruned=%v, want name %q (kept only when the name is unknown or _)", spec, !kept, want)
		}
	}
}
