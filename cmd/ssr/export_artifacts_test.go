package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
)

func TestExportArtifacts(t *testing.T) {
	st := makeExportJob(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := exportArtifacts(context.Background(), st, synthJob, exportFilter{Strategy: "removal"}, dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"bug-0001", "bug-0003", "bug-o2"}; !slices.Equal(names, want) {
		t.Fatalf("directories = %v, want %v", names, want)
	}
	orig, err := artifact.UnmarshalJSON("synthetic", synthArtifact())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		a, err := artifact.Load(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if a.TestScript != orig.TestScript || a.WeakenDiff != orig.WeakenDiff || a.Parser != orig.Parser || !slices.Equal(a.TestFiles, orig.TestFiles) {
			t.Errorf("%s: parts differ from the stored artifact: %+v", name, a)
		}
		if a.Meta.Repo != "gokit" || a.Meta.Strategy != "removal" || a.Meta.ImageDigest != "sha256:abc" {
			t.Errorf("%s: metadata %+v", name, a.Meta)
		}
		// The bug diff alone rebuilds the bug's source state: for order 2, with the parent's prediction.
		p, err := patches.ParseBytes([]byte(a.BugDiff))
		if err != nil {
			t.Fatal(err)
		}
		tree, err := patches.ApplyMap(synthTree, p)
		if err != nil {
			t.Fatalf("%s: bug_inject.diff does not apply: %v", name, err)
		}
		wantO2 := name == "bug-o2"
		if got := strings.Contains(string(tree["ring/ring.go"]), "Cap is not implemented"); got != wantO2 {
			t.Errorf("%s: parent prediction in the bug diff = %v, want %v", name, got, wantO2)
		}
		if wantOrder := map[bool]int{true: 2, false: 1}[wantO2]; a.Meta.Order != wantOrder || (wantO2 && a.Meta.ParentBug != "bug-0001") {
			t.Errorf("%s: order %d parent %q", name, a.Meta.Order, a.Meta.ParentBug)
		}
	}
}
