package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/selfplay-swe/ssr/repos/docker"
)

// TestMain lets testscript run "ssr" in scripts as this test binary, calling run in process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ssr": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs every CLI script under testdata/script (testscript's txtar format).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SSR_BASE", docker.DefaultRecipe().Ref()) // the shared base image's reference
			return nil
		},
	})
}
