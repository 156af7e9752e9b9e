// Package fakelang is a tiny Language for the host's tests: it claims repositories holding a file named
// "<name>.marker", and echoes requests back so that every field's trip over the wire can be checked.
package fakelang

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Lang is the fake language named Name.
type Lang struct{ Name string }

// Describe reports the process id as the version, so tests can check the process is gone after Close.
func (l Lang) Describe(context.Context, *plugin.DescribeRequest) (*plugin.DescribeResponse, error) {
	return &plugin.DescribeResponse{Name: l.Name, Version: fmt.Sprint(os.Getpid()), Languages: []string{l.Name},
		Parsers: []string{l.Name + "-lines"}, Operators: []string{plugin.OpRemoveStatement}}, nil
}

func (l Lang) Detect(_ context.Context, req *plugin.DetectRequest) (*plugin.DetectResponse, error) {
	if slices.Contains(req.Files, l.Name+".marker") || slices.Contains(req.Files, "any.marker") {
		return &plugin.DetectResponse{Confidence: 0.8, Reason: "marker file"}, nil
	}
	return &plugin.DetectResponse{Confidence: 0.1, Reason: "no marker in " + req.Root}, nil
}

func (l Lang) Recipe(_ context.Context, req *plugin.RecipeRequest) (*plugin.RecipeResponse, error) {
	return &plugin.RecipeResponse{Packages: req.Files, Setup: []string{req.Root}, Env: map[string]string{"ROOT": req.Root}}, nil
}

func (l Lang) TestFiles(_ context.Context, req *plugin.TestFilesRequest) (*plugin.TestFilesResponse, error) {
	return &plugin.TestFilesResponse{TestFiles: req.Files, Sources: req.Files, Warnings: []string{fmt.Sprintf("%d files", len(req.Files))}}, nil
}

func (l Lang) TestCommand(_ context.Context, req *plugin.TestCommandRequest) (*plugin.TestCommandResponse, error) {
	return &plugin.TestCommandResponse{Script: "run " + strings.Join(req.TestFiles, " "), Parser: l.Name + "-lines"}, nil
}

// ParseTestOutput reads "id status" lines and "=end how", "=broken what" and "=detail line" lines; an
// "error" line makes the call fail with an error.
func (l Lang) ParseTestOutput(_ context.Context, req *plugin.ParseTestOutputRequest) (*plugin.ParseTestOutputResponse, error) {
	resp := &plugin.ParseTestOutputResponse{}
	for _, line := range strings.Split(string(req.Output), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && f[0] == "error":
			return nil, fmt.Errorf("cannot parse %q", line)
		case len(f) == 2 && f[0] == "=end":
			resp.End = f[1]
		case len(f) == 2 && f[0] == "=broken":
			resp.Broken = append(resp.Broken, f[1])
		case len(f) >= 1 && f[0] == "=detail":
			resp.Detail = strings.Join(f[1:], " ")
		case len(f) == 2:
			resp.Tests = append(resp.Tests, plugin.TestResult{ID: f[0], Status: f[1], Duration: 1.5, File: req.Parser})
		}
	}
	return resp, nil
}

func (l Lang) MutationSites(_ context.Context, req *plugin.MutationSitesRequest) (*plugin.MutationSitesResponse, error) {
	return &plugin.MutationSitesResponse{Sites: []plugin.MutationSite{{StartByte: 1, EndByte: len(req.Source), Line: 2, Column: 3,
		Node: req.Path, Operators: req.Operators, Function: "F.g"}}}, nil
}

func (l Lang) ApplyMutation(_ context.Context, req *plugin.ApplyMutationRequest) (*plugin.ApplyMutationResponse, error) {
	return &plugin.ApplyMutationResponse{Source: append(req.Source, req.Site.Node...), Description: req.Operator, Refused: req.Site.Function}, nil
}

func (l Lang) RemoveTests(_ context.Context, req *plugin.RemoveTestsRequest) (*plugin.RemoveTestsResponse, error) {
	resp := &plugin.RemoveTestsResponse{Source: req.Source, Removed: req.Tests, NotFound: []string{req.Path}}
	if len(req.Tests) > 0 {
		resp.Unremovable = map[string]string{req.Tests[0]: "echoed"}
	}
	return resp, nil
}

// CoverageCommand echoes the file list into the script; no files means no coverage.
func (l Lang) CoverageCommand(_ context.Context, req *plugin.CoverageCommandRequest) (*plugin.CoverageCommandResponse, error) {
	if len(req.Files) == 0 {
		return &plugin.CoverageCommandResponse{Unsupported: "no files"}, nil
	}
	return &plugin.CoverageCommandResponse{Script: "cover " + strings.Join(req.Files, " "), Parser: l.Name + "-cover"}, nil
}

// ParseCoverage reads "id path line" lines: the test id covers that line of path ("-" as the id: shared).
func (l Lang) ParseCoverage(_ context.Context, req *plugin.ParseCoverageRequest) (*plugin.ParseCoverageResponse, error) {
	resp := &plugin.ParseCoverageResponse{}
	for _, line := range strings.Split(string(req.Output), "\n") {
		var id, path string
		var n int
		if _, err := fmt.Sscanf(line, "%s %s %d", &id, &path, &n); err != nil {
			continue
		}
		fl := plugin.FileLines{Path: path, Lines: []plugin.LineRange{{Start: n, End: n}}}
		if id == "-" {
			resp.Shared = append(resp.Shared, fl)
			continue
		}
		resp.Tests = append(resp.Tests, plugin.TestCoverage{ID: id, Files: []plugin.FileLines{fl}})
	}
	if len(resp.Tests) == 0 {
		resp.Error = "no coverage lines"
	}
	return resp, nil
}
