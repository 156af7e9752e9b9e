// Command ssr-lang-crashy is a test plugin that exits with status 3 in ParseTestOutput (after a line on
// stderr) and panics in MutationSites.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/testdata/fakelang"
)

type crashy struct{ fakelang.Lang }

func (crashy) ParseTestOutput(context.Context, *plugin.ParseTestOutputRequest) (*plugin.ParseTestOutputResponse, error) {
	fmt.Fprintln(os.Stderr, "crashy: giving up on this output")
	os.Exit(3)
	return nil, nil
}

func (crashy) MutationSites(context.Context, *plugin.MutationSitesRequest) (*plugin.MutationSitesResponse, error) {
	var m map[string]int
	m["boom"]++ // a nil-map panic
	return nil, nil
}

func main() { plugin.Serve(crashy{fakelang.Lang{Name: "crashy"}}) }
