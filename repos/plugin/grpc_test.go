package plugin_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
	"github.com/selfplay-swe/ssr/repos/plugin/testdata/fakelang"
)

// TestGRPCInProcess runs the echoing fake language over real gRPC in process (go-plugin's
// TestPluginGRPCConn) and checks that every call gives the same answer as calling it directly.
func TestGRPCInProcess(t *testing.T) {
	direct := fakelang.Lang{Name: "echo"}
	wire := plugintest.InProcess(t, direct)
	ctx := t.Context()
	site := plugin.MutationSite{StartByte: 1, EndByte: 5, Line: 2, Column: 3, Node: "n", Operators: []string{plugin.OpRemoveBody}, Function: "f"}
	calls := map[string]func(plugin.Language) (any, error){
		"Detect": func(l plugin.Language) (any, error) {
			return l.Detect(ctx, &plugin.DetectRequest{Root: "/r", Files: []string{"echo.marker"}})
		},
		"Recipe": func(l plugin.Language) (any, error) {
			return l.Recipe(ctx, &plugin.RecipeRequest{Root: "/r", Files: []string{"a", "b"}})
		},
		"TestFiles": func(l plugin.Language) (any, error) {
			return l.TestFiles(ctx, &plugin.TestFilesRequest{Files: []string{"x_test.go"}})
		},
		"TestCommand": func(l plugin.Language) (any, error) {
			return l.TestCommand(ctx, &plugin.TestCommandRequest{TestFiles: []string{"a", "b"}})
		},
		"ParseTestOutput": func(l plugin.Language) (any, error) {
			return l.ParseTestOutput(ctx, &plugin.ParseTestOutputRequest{Parser: "p", Output: []byte("a passed\nb failed\n=end crashed\n=broken p/q\n=broken r\n=detail panic in p/q: boom\n")})
		},
		"MutationSites": func(l plugin.Language) (any, error) {
			return l.MutationSites(ctx, &plugin.MutationSitesRequest{Path: "x.go", Source: []byte("abcdef"), Operators: []string{plugin.OpSwapArguments}})
		},
		"ApplyMutation": func(l plugin.Language) (any, error) {
			return l.ApplyMutation(ctx, &plugin.ApplyMutationRequest{Path: "x.go", Source: []byte("src"), Site: site, Operator: plugin.OpRemoveBody})
		},
		"RemoveTests": func(l plugin.Language) (any, error) {
			return l.RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: "x_test.go", Source: []byte("s"), Tests: []string{"a", "b"}})
		},
		"CoverageCommand": func(l plugin.Language) (any, error) {
			return l.CoverageCommand(ctx, &plugin.CoverageCommandRequest{Files: []string{"a.go", "a_test.go"}})
		},
		"CoverageCommand unsupported": func(l plugin.Language) (any, error) {
			return l.CoverageCommand(ctx, &plugin.CoverageCommandRequest{})
		},
		"ParseCoverage": func(l plugin.Language) (any, error) {
			return l.ParseCoverage(ctx, &plugin.ParseCoverageRequest{Parser: "echo-cover", Output: []byte("m::TestA a.go 3\n- a.go 1\nm::TestB b.go 9\n")})
		},
		"ParseCoverage nothing": func(l plugin.Language) (any, error) {
			return l.ParseCoverage(ctx, &plugin.ParseCoverageRequest{Parser: "echo-cover"})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			want, err := call(direct)
			if err != nil {
				t.Fatal(err)
			}
			got, err := call(wire)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("over gRPC:\n got %#v\nwant %#v", got, want)
			}
		})
	}
	t.Run("plugin error", func(t *testing.T) {
		_, err := wire.ParseTestOutput(ctx, &plugin.ParseTestOutputRequest{Output: []byte("error\n")})
		if err == nil || !strings.Contains(err.Error(), `cannot parse "error"`) {
			t.Errorf("err = %v, want the plugin's own message", err)
		}
	})
	t.Run("nil request", func(t *testing.T) {
		if r, err := wire.Describe(ctx, nil); err != nil || r.Name != "echo" {
			t.Errorf("Describe(nil) = %v, %v", r, err)
		}
	})
}
