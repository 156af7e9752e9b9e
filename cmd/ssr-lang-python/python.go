package main

import (
	"context"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// version is the plugin's own version: it is part of every repo image's inputs, so bump it when the recipe
// or the test command changes.
var version = "0.6.0"

// parserPytest is the one builtin parser this plugin offers.
const parserPytest = "pytest"

// python implements plugin.Language for Python repositories tested with pytest. It is stateless: every call
// works from its request alone, so one value serves concurrent calls.
type python struct{}

var _ plugin.Language = (*python)(nil)

// Describe names the plugin, its parser and every mutation operator it implements.
func (*python) Describe(ctx context.Context, req *plugin.DescribeRequest) (*plugin.DescribeResponse, error) {
	return &plugin.DescribeResponse{
		Name:      "python",
		Version:   version,
		Languages: []string{"python"},
		Parsers:   []string{parserPytest},
		Operators: append([]string(nil), plugin.AllOperators...),
	}, nil
}
