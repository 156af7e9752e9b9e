// Command ssr-lang-go is ssr's first-party language plugin for Go: it detects Go modules, says how to
// build their image, runs `go test -json` and parses it, and mutates Go code with go/ast.
//
// The test script (script.go) re-runs a package whose test binary died in a test (a panic, a fatal
// error, os.Exit) with that test skipped, up to 5 times, so that the package's other tests still report.
// The gotest-json parser (gotest_json.go) merges those streams and says how the run ended: build_failed
// (Broken lists the packages that did not build), crashed (a binary died and its re-runs did not recover
// it) or completed; a test that started and never ended is not_run, one that never started is absent.
// TestFiles also lists Sources, the root module's non-test files that go test ./... builds, and warns once
// per nested module it leaves out.
//
// ssr starts it; run by hand it only says so. Install it beside ssr, on $PATH or in $SSR_PLUGIN_DIR.
package main

import "github.com/selfplay-swe/ssr/repos/plugin"

func main() { plugin.Serve(goLanguage{}) }
