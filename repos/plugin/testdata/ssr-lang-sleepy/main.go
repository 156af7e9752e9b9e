// Command ssr-lang-sleepy is a test plugin that never answers Detect.
package main

import (
	"context"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/testdata/fakelang"
)

type sleepy struct{ fakelang.Lang }

func (sleepy) Detect(context.Context, *plugin.DetectRequest) (*plugin.DetectResponse, error) {
	select {} // ignores its context on purpose
}

func main() { plugin.Serve(sleepy{fakelang.Lang{Name: "sleepy"}}) }
