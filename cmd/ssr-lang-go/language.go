package main

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// version is the plugin's own version: it is part of every repo image's inputs, so bump it when the recipe
// or the test command changes.
var version = "0.5.0"

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

// Recipe: Debian's Go, no cgo (no gcc in the image), no network (GOPROXY=off: ssr downloads go.mod's
// modules on the host, with the user's own GOPROXY, and copies them into GOMODCACHE before these steps run;
// a vendor/ directory is used as it is), and a warmed build cache so each fresh sandbox does not recompile
// the world. When the manifest gives the build a network, ssr runs the setup steps with the host's proxy
// settings instead of GOPROXY=off.
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
			"GOCACHE":     plugin.SandboxHome + "/.cache/go-build", // where the tests' user may write
			"GOPATH":      plugin.SandboxHome + "/go",
		},
	}, nil
}

// TestFiles: every *_test.go and every file under a testdata directory (inputs the tests read, which
// must be restored before scoring like the tests themselves). Vendored code is not the repository's.
//
// Sources: the non-test *.go files of the root module that `go test ./...` builds: not in a nested module
// (a directory with its own go.mod; one warning each), vendor/, testdata/, a directory whose name starts
// with _ or . (the go tool ignores them, as it ignores such file names), nor docs/, examples/ or
// benchmarks/ (code no test reaches). Build constraints are not read: a file that only builds for another
// platform, or with //go:build ignore, is still listed.
func (goLanguage) TestFiles(_ context.Context, req *plugin.TestFilesRequest) (*plugin.TestFilesResponse, error) {
	resp := &plugin.TestFilesResponse{}
	var nested []string // directories holding a nested go.mod
	for _, f := range req.Files {
		if path.Base(f) == "go.mod" && f != "go.mod" && !ignoredByGoTool(f) {
			nested = append(nested, path.Dir(f))
		}
	}
	slices.Sort(nested)
	for _, dir := range nested {
		resp.Warnings = append(resp.Warnings, fmt.Sprintf("nested Go module %s/ (%s/go.mod) is not tested by go test ./...; its files are left out", dir, dir))
	}
	inNested := func(f string) bool {
		return slices.ContainsFunc(nested, func(dir string) bool { return strings.HasPrefix(f, dir+"/") })
	}
	for _, f := range req.Files {
		if isVendored(f) {
			continue
		}
		switch {
		case strings.HasSuffix(f, "_test.go") || inTestdata(f):
			resp.TestFiles = append(resp.TestFiles, f)
		case strings.HasSuffix(f, ".go") && !ignoredByGoTool(f) && !inNested(f) && !untested(f):
			resp.Sources = append(resp.Sources, f)
		}
	}
	return resp, nil
}

// ignoredByGoTool reports whether ./... skips a file: under vendor/ or testdata/, or a path element that
// starts with _ or .
func ignoredByGoTool(f string) bool {
	if isVendored(f) || inTestdata(f) {
		return true
	}
	for _, elem := range strings.Split(f, "/") {
		if strings.HasPrefix(elem, "_") || strings.HasPrefix(elem, ".") {
			return true
		}
	}
	return false
}

// untested reports whether a file is in a directory of code that tests do not reach, by convention.
func untested(f string) bool {
	for _, elem := range strings.Split(path.Dir(f), "/") {
		switch elem {
		case "docs", "examples", "benchmarks":
			return true
		}
	}
	return false
}

// TestCommand runs every package's tests, or only the packages holding the given test files (a file under
// testdata/ selects the package that owns that testdata directory), or only the given tests by id: their
// packages by import path, with -run '^(TestA|TestB)$' (the top-level names, so a subtest's id runs its
// parent and every sibling, and a name asked in one package runs in every selected package that has it).
// Build errors go to the same stream (2>&1) so the parser sees them. A package whose test binary dies in a
// test is re-run without that test (see testScript), so that its other tests report.
func (goLanguage) TestCommand(_ context.Context, req *plugin.TestCommandRequest) (*plugin.TestCommandResponse, error) {
	if len(req.TestIDs) > 0 {
		pkgs, names := selectIDs(req.TestIDs)
		if len(pkgs) == 0 {
			return &plugin.TestCommandResponse{Script: "#!/bin/bash\necho 'ssr-lang-go: none of the given test ids names a test; no tests run'\n",
				Parser: ParserGoTestJSON, SelectsIDs: true}, nil
		}
		return &plugin.TestCommandResponse{Script: scriptFor(pkgs, names), Parser: ParserGoTestJSON, SelectsIDs: true}, nil
	}
	pkgs := []string{"./..."}
	if len(req.TestFiles) > 0 {
		pkgs = packagesOf(req.TestFiles)
	}
	return &plugin.TestCommandResponse{Script: scriptFor(pkgs, nil), Parser: ParserGoTestJSON}, nil
}

// selectIDs splits test ids ("<import path>::<Test>[/<sub>]") into sorted, unique import paths and
// top-level test names. Pseudo-tests ("[build]", "[package]") and ids that are not of that form select
// nothing: a name must be a Go identifier to stand in -run's pattern unquoted.
func selectIDs(ids []string) (pkgs, names []string) {
	for _, id := range ids {
		pkg, name, ok := strings.Cut(id, "::")
		name, _, _ = strings.Cut(name, "/")
		if !ok || pkg == "" || !isIdent(name) || strings.ContainsAny(pkg, " '\"$`\\") {
			continue
		}
		pkgs = append(pkgs, pkg)
		names = append(names, name)
	}
	slices.Sort(pkgs)
	slices.Sort(names)
	return slices.Compact(pkgs), slices.Compact(names)
}

// isIdent reports whether s is a Go identifier.
func isIdent(s string) bool {
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

func (goLanguage) ParseTestOutput(_ context.Context, req *plugin.ParseTestOutputRequest) (*plugin.ParseTestOutputResponse, error) {
	if req.Parser != ParserGoTestJSON && req.Parser != "" {
		return nil, fmt.Errorf("parser %q is not one of ssr-lang-go's (%s)", req.Parser, ParserGoTestJSON)
	}
	return parseGoTestJSON(req.Output), nil
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
