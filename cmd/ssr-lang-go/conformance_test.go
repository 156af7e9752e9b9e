package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

func loadFixture(t *testing.T) plugintest.Fixture {
	t.Helper()
	fx, err := plugintest.LoadFixture("testdata/fixture")
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// TestConformance runs the plugin harness on the implementation, over in-process gRPC, and on the built
// program through the real host.
func TestConformance(t *testing.T) {
	fx := loadFixture(t)
	t.Run("direct", func(t *testing.T) { plugintest.Run(t, goLanguage{}, fx) })
	t.Run("grpc", func(t *testing.T) { plugintest.Run(t, plugintest.InProcess(t, goLanguage{}), fx) })
	t.Run("binary", func(t *testing.T) {
		if testing.Short() {
			t.Skip("builds the plugin program; skipped with -short")
		}
		bin := filepath.Join(t.TempDir(), "ssr-lang-go")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		plugintest.RunBinary(t, bin, fx)
	})
}
