// Command ssr-lang-go is ssr's first-party language plugin for Go: it detects Go modules, says how to
// build their image, runs `go test -json` and parses it, and mutates Go code with go/ast.
//
// ssr starts it; run by hand it only says so. Install it beside ssr, on $PATH or in $SSR_PLUGIN_DIR.
package main

import "github.com/selfplay-swe/ssr/repos/plugin"

func main() { plugin.Serve(goLanguage{}) }
