package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
)

// TestMain lets testscript run "ssr" in scripts as this test binary, calling run in process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ssr":          func() { os.Exit(run(os.Args[1:])) },
		"ssr-synthjob": synthJobCmd, // ssr-synthjob DB N: a small job database made through the store
	})
}

// TestScripts runs every CLI script under testdata/script (testscript's txtar format).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ssr-plugins": buildPluginsCmd,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("SSR_BASE", docker.DefaultRecipe().Ref()) // the shared base image's reference
			return nil
		},
		// [engine] holds when the Docker Engine answers. With SSR_REQUIRE_DOCKER=1 an unreachable engine fails
		// the script instead of letting it skip.
		Condition: func(cond string) (bool, error) {
			if cond != "engine" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cli, err := docker.Connect(ctx)
			if err != nil {
				if os.Getenv(dockertest.RequireEnv) == "1" {
					return false, fmt.Errorf("%v (%s=1 makes this a failure)", err, dockertest.RequireEnv)
				}
				return false, nil
			}
			cli.Close()
			return true, nil
		},
	})
}

// buildPluginsCmd is the script command "ssr-plugins DIR": it builds the first-party language plugins from
// this tree into DIR (with the test's own Go environment; the build cache makes it quick after the first).
func buildPluginsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ssr-plugins DIR")
	}
	for _, p := range []string{"ssr-lang-go", "ssr-lang-python"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(ts.MkAbs(args[0]), p), "../"+p).CombinedOutput()
		if err != nil {
			ts.Fatalf("go build %s: %v\n%s", p, err, out)
		}
	}
}
