package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/patches"
)

func TestExportSWEBench(t *testing.T) {
	st := makeExportJob(t)
	tests := map[string]struct {
		f    exportFilter
		want []string
	}{
		"all":              {want: []string{"gokit__bug-0000", "gokit__bug-0001", "gokit__bug-0003", "gokit__bug-0004", "gokit__bug-o2"}},
		"strategy":         {f: exportFilter{Strategy: "removal"}, want: []string{"gokit__bug-0001", "gokit__bug-0003", "gokit__bug-o2"}},
		"solve-rate":       {f: exportFilter{MinSolveRate: ptr(0.5)}, want: []string{"gokit__bug-0000", "gokit__bug-0004"}},
		"unsolved":         {f: exportFilter{MaxSolveRate: ptr(0.0)}, want: []string{"gokit__bug-0001", "gokit__bug-0003"}},
		"order 2":          {f: exportFilter{Order: 2}, want: []string{"gokit__bug-o2"}},
		"order 1 mut":      {f: exportFilter{Order: 1, Strategy: "mutation", Repo: "gokit"}, want: []string{"gokit__bug-0000", "gokit__bug-0004"}},
		"no such repo":     {f: exportFilter{Repo: "nope"}},
		"band with no bug": {f: exportFilter{MinSolveRate: ptr(0.1), MaxSolveRate: ptr(0.4)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := exportSWEBench(context.Background(), st, synthJob, tc.f, &buf); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range readInstances(t, &buf) {
				got = append(got, in.InstanceID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("instances = %v, want %v", got, tc.want)
			}
		})
	}
	if err := exportSWEBench(context.Background(), st, "job-nope", exportFilter{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "job-nope") {
		t.Errorf("export of a missing job: err = %v, want one naming the job", err)
	}
}

// TestExportSWEBenchPatches checks the patches of every instance on the synthetic repository's files: the
// setup patch gives the bug's state, test_patch is the spec (the reverse of the weakening) and, applied with
// patch, gives the original files back.
func TestExportSWEBenchPatches(t *testing.T) {
	st := makeExportJob(t)
	var buf bytes.Buffer
	if err := exportSWEBench(context.Background(), st, synthJob, exportFilter{}, &buf); err != nil {
		t.Fatal(err)
	}
	apply := func(tree map[string][]byte, what, diff string) map[string][]byte {
		t.Helper()
		p, err := patches.ParseBytes([]byte(diff))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out, err := patches.ApplyMap(tree, p)
		if err != nil {
			t.Fatalf("%s does not apply: %v", what, err)
		}
		return out
	}
	for _, in := range readInstances(t, &buf) {
		t.Run(in.InstanceID, func(t *testing.T) {
			buggy := apply(synthTree, "ssr_setup_patch", in.SetupPatch)
			if maps.EqualFunc(buggy, synthTree, bytes.Equal) {
				t.Fatal("the setup patch changes nothing")
			}
			weaken, _ := patches.ParseBytes([]byte(synthWeaken(t)))
			if spec := patches.Reverse(weaken).String(); in.TestPatch != spec {
				t.Errorf("test_patch =\n%s\nwant the spec\n%s", in.TestPatch, spec)
			}
			if !strings.Contains(in.ProblemStatement, in.TestPatch) || !strings.Contains(in.ProblemStatement, in.FailToPass[0]) {
				t.Errorf("problem statement lacks the spec or the F2P tests:\n%s", in.ProblemStatement)
			}
			// patch and test_patch touch disjoint files: either order restores the original.
			for _, order := range [][2]string{{"patch", "test_patch"}, {"test_patch", "patch"}} {
				tree := buggy
				for _, which := range order {
					tree = apply(tree, which, map[string]string{"patch": in.Patch, "test_patch": in.TestPatch}[which])
				}
				if !maps.EqualFunc(tree, synthTree, bytes.Equal) {
					t.Errorf("%s then %s: got %q, want the original files", order[0], order[1], tree)
				}
			}
			wantOrder := 1
			if in.BugID == "bug-o2" {
				wantOrder = 2
				if !strings.Contains(in.SetupPatch, "Cap is not implemented") || !strings.Contains(in.Patch, "-// Cap is not implemented.") {
					t.Errorf("order 2: the parent prediction is missing from the setup or the fix:\nsetup:\n%s\nfix:\n%s", in.SetupPatch, in.Patch)
				}
			}
			if in.Order != wantOrder || in.BaseCommit != "c0ffee" || in.ImageName != "ssr-repo:gokit-1" || in.ImageDigest != "sha256:abc" ||
				in.Parser != "gotest-json" || in.CreatedAt == "" || len(in.PassToPass) != 1 {
				t.Errorf("fields: %+v", in)
			}
		})
	}
}

func synthWeaken(t *testing.T) string {
	t.Helper()
	var a struct {
		WeakenDiff string `json:"test_weaken_diff"`
	}
	if err := json.Unmarshal(synthArtifact(), &a); err != nil {
		t.Fatal(err)
	}
	return a.WeakenDiff
}

func readInstances(t *testing.T, r *bytes.Buffer) []sweInstance {
	t.Helper()
	var out []sweInstance
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var in sweInstance
		if err := dec.Decode(&in); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, in)
	}
	return out
}
