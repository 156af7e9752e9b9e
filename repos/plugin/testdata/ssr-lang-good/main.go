// Command ssr-lang-good is a well-behaved test plugin.
package main

import (
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/testdata/fakelang"
)

func main() { plugin.Serve(fakelang.Lang{Name: "good"}) }
