package main

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// version is the plugin's own version: it is part of every repo image's inputs, so bump it when the recipe
// or the test command changes.
var version = "0.2.0"

// goLanguage implements plugin.Language for Go modules tested with `go test`.
type goLanguage struct{}

var _ plugin.Language = goLanguage{}

func (goLanguage) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DescribeResponse, error) {
	return &plugin.DescribeResponse{
		Name:      "go",
		Version:   version,
		Languages: []string{"go"},
		Parsers:   []string{ParserGoTestJSON},
		Operators: slices.Clone(plugin.AllOperators),
	}, nil
}

// Detect: go.mod at the root is a Go module (0.95); go.mod only in sub-directories is a multi-module
// repository (0.7, tests run per module are not supported yet); *.go files without any go.mod are
// GOPATH-era code that does not build in module mode (0.3, below the default threshold).
func (goLanguage) Detect(_ context.Context, req *plugin.DetectRequest) (*plugin.DetectResponse, error) {
	var goFiles, testFiles int
	rootMod, nestedMod := false, false
	for _, f := range req.Files {
		if isVendored(f) {
			continue
		}
		switch {
		case f == "go.mod":
			rootMod = true
		case path.Base(f) == "go.mod":
			nestedMod = true
		case strings.HasSuffix(f, "_test.go"):
			testFiles++
			goFiles++
		case strings.HasSuffix(f, ".go"):
			goFiles++
		}
	}
	switch {
	case rootMod:
		return &plugin.DetectResponse{Confidence: 0.95, Reason: fmt.Sprintf("go.mod at the root, %d *.go files, %d *_test.go", goFiles, testFiles)}, nil
	case nestedMod && goFiles > 0:
		return &plugin.DetectResponse{Confidence: 0.7, Reason: fmt.Sprintf("go.mod only in sub-directories, %d *.go files", goFiles)}, nil
	case goFiles > 0:
		return &plugin.DetectResponse{Confidence: 0.3, Reason: fmt.Sprintf("%d *.go files but no go.mod (GOPATH-style code does not build in module mode)", goFiles)}, nil
	}
	return &plugin.DetectResponse{Confidence: 0, Reason: "no *.go files"}, nil
}

// goVersionCheck fails image setup with one clear line when go.mod asks for a newer Go than the image has
// (Debian trixie, the default base, ships Go 1.24; bookworm's 1.19 also rejects the three-part `go 1.21.0`
// and `toolchain` lines of newer go.mod files).
const goVersionCheck = `need=$(awk '$1 == "go" { print $2; exit }' go.mod 2>/dev/null); have=$(go env GOVERSION | sed 's/^go//'); ` +
	`if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then ` +
	`echo "ssr-lang-go: go.mod needs Go $need but the image has Go $have: use a base image with a newer Go (ssr image bootstrap --suite), or a repository commit that supports Go $have" >&2; exit 1; fi`

// Recipe: Debian's Go, no cgo (no gcc in the image), no network (GOPROXY=off: dependencies must be
// vendored or already in the module cache), and a warmed build cache so each fresh sandbox does not
// recompile the world.
func (goLanguage) Recipe(context.Context, *plugin.RecipeRequest) (*plugin.RecipeResponse, error) {
	return &plugin.RecipeResponse{
		Packages: []string{"golang-go", "git", "ca-certificates"},
		Setup: []string{
			goVersionCheck,
			"go test -count=1 -run '^$' ./...",
		},
		Env: map[string]string{
			"CGO_ENABLED": "0",
			"GOPROXY":     "off",
			"GOFLAGS":     "-buildvcs=false",
			"GOTOOLCHAIN": "local",
			"GOCACHE":     "/root/.cache/go-build",
			"GOPATH":      "/root/go",
		},
	}, nil
}

// TestFiles: every *_test.go and every file under a testdata directory (inputs the tests read, which
// must be restored before scoring like the tests themselves). Vendored code is not the repository's.
func (goLanguage) TestFiles(_ context.Context, req *plugin.TestFilesRequest) (*plugin.TestFilesResponse, error) {
	var out []string
	for _, f := range req.Files {
		if isVendored(f) {
			continue
		}
		if strings.HasSuffix(f, "_test.go") || inTestdata(f) {
			out = append(out, f)
		}
	}
	return &plugin.TestFilesResponse{TestFiles: out}, nil
}

// TestCommand runs every package's tests, or only the packages holding the given test files (a file under
// testdata/ selects the package that owns that testdata directory). Build errors go to the same stream
// (2>&1) so the parser sees them.
func (goLanguage) TestCommand(_ context.Context, req *plugin.TestCommandRequest) (*plugin.TestCommandResponse, error) {
	pkgs := []string{"./..."}
	if len(req.TestFiles) > 0 {
		pkgs = packagesOf(req.TestFiles)
	}
	script := "#!/bin/bash\n# ssr-lang-go: run the tests, one JSON event a line\ngo test -json -count=1 -timeout 5m " + strings.Join(pkgs, " ") + " 2>&1\n"
	return &plugin.TestCommandResponse{Script: script, Parser: ParserGoTestJSON}, nil
}

func (goLanguage) ParseTestOutput(_ context.Context, req *plugin.ParseTestOutputRequest) (*plugin.ParseTestOutputResponse, error) {
	if req.Parser != ParserGoTestJSON && req.Parser != "" {
		return nil, fmt.Errorf("parser %q is not one of ssr-lang-go's (%s)", req.Parser, ParserGoTestJSON)
	}
	return &plugin.ParseTestOutputResponse{Tests: parseGoTestJSON(req.Output)}, nil
}

// packagesOf gives the sorted, unique package patterns ("./dir", "." for the root) of test files.
func packagesOf(files []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		dir := path.Dir(f)
		if i := strings.Index("/"+dir+"/", "/testdata/"); i >= 0 {
			dir = path.Clean(strings.TrimPrefix(("/" + dir)[:i], "/"))
			if dir == "" {
				dir = "."
			}
		}
		pat := "./" + dir
		if dir == "." {
			pat = "."
		}
		if !seen[pat] {
			seen[pat] = true
			out = append(out, pat)
		}
	}
	slices.Sort(out)
	return out
}

func inTestdata(f string) bool {
	return strings.HasPrefix(f, "testdata/") || strings.Contains(f, "/testdata/")
}

func isVendored(f string) bool {
	return strings.HasPrefix(f, "vendor/") || strings.Contains(f, "/vendor/")
}
