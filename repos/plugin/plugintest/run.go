package plugintest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Run runs every check against lang, one subtest per check.
func Run(t *testing.T, lang plugin.Language, fx Fixture) {
	t.Helper()
	ctx := t.Context()
	for _, r := range Check(ctx, lang, fx, t.TempDir()) {
		t.Run(r.Name, func(t *testing.T) {
			for _, f := range r.Failures {
				t.Error(f)
			}
		})
	}
}

// RunBinary starts the plugin program at path through the real host and runs every check against it.
// The process is stopped when the test ends.
func RunBinary(t *testing.T, path string, fx Fixture) {
	t.Helper()
	h := plugin.NewHost(plugin.WithDirs(), plugin.WithCallTimeout(time.Minute))
	t.Cleanup(func() { h.Close() })
	c, err := h.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	Run(t, c, fx)
}

// CheckBinary is RunBinary outside tests: it starts the plugin at path (or the named plugin on the search
// path) and returns the checks' results.
func CheckBinary(ctx context.Context, h *plugin.Host, nameOrPath string, fx Fixture) ([]Result, error) {
	c, err := h.Open(ctx, nameOrPath)
	if err != nil {
		return nil, err
	}
	tmp, cleanup, err := mkTemp()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return Check(ctx, c, fx, tmp), nil
}

// InProcess serves impl over real gRPC inside the test process (go-plugin's TestPluginGRPCConn) and
// returns the host side of that connection: every call goes through the wire form and back.
func InProcess(t testing.TB, impl plugin.Language) plugin.Language {
	t.Helper()
	client, server := goplugin.TestPluginGRPCConn(t, false, goplugin.PluginSet{
		plugin.PluginName: &plugin.GRPCPlugin{Impl: impl, RecoverPanics: true},
	})
	t.Cleanup(func() {
		client.Close()
		server.Stop()
	})
	raw, err := client.Dispense(plugin.PluginName)
	if err != nil {
		t.Fatalf("dispense the in-process plugin: %v", err)
	}
	return raw.(plugin.Language)
}

// RunReachable runs Reachable on each named file under root (names relative to root, as the plugin sees
// them) and fails t on every failure, on an invertible operator that lang offers but no site of these
// files exercised, and when no three-site or order-2 case could be built.
func RunReachable(t *testing.T, lang plugin.Language, root string, files []string) {
	t.Helper()
	undone := map[string]int{}
	three, order2, refused := 0, 0, 0
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Reachable(t.Context(), lang, f, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range r.Failures {
			t.Error(msg)
		}
		for op, n := range r.Undone {
			undone[op] += n
		}
		three, order2, refused = three+r.ThreeAt, order2+r.Order2, refused+r.Refused
	}
	d, err := lang.Describe(t.Context(), &plugin.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range d.Operators {
		if slices.Contains(plugin.InvertibleOperators, op) && undone[op] == 0 {
			t.Errorf("invertible operator %s applied nowhere in %d file(s): its inverse is unchecked", op, len(files))
		}
	}
	if three == 0 || order2 == 0 {
		t.Errorf("%d three-site and %d order-2 cases built: want some of each", three, order2)
	}
	t.Logf("undone by one solver edit: %v; %d three-site and %d order-2 cases; %d refused", undone, three, order2, refused)
}
