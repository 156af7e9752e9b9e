package arena

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// TestSelectionLosesNoBug checks, on both built-in examples and for every mutation operator of their
// plugins, that selection loses no bug: for mutants that the whole suite catches, the tests selected from
// the baseline's coverage alone (selectTests, without the failing tests the injector would add) include
// every F2P test the whole suite finds, and running the selection's script finds each of them failing too.
// Each operator must give a caught mutant in its example (the first one found is checked). It also records how many tests a
// selected run runs against the whole suite.
func TestSelectionLosesNoBug(t *testing.T) {
	f := withExamples(t)
	for _, name := range []string{"pyledger", "gokit"} {
		t.Run(name, func(t *testing.T) {
			repo := f.repos[name]
			if repo.Coverage == nil || repo.Coverage.Unavailable != "" {
				t.Fatalf("%s has no coverage: %s", name, repo.Coverage.Summary())
			}
			a := f.arena(conf(func(c *Config) { c.MinPassingTests = 1 }))
			checkSelection(t, a, repo)
		})
	}
}

// mutantLimit bounds one mutant's run: a mutant that loops is skipped, not waited for.
const mutantLimit = 90 * time.Second

func checkSelection(t *testing.T, a *Arena, repo *Repo) {
	ctx := context.Background()
	desc, err := repo.Lang.Describe(ctx, &plugin.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := a.fullSuite(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := a.sandboxes.Start(ctx, repo.spec(a.job, "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.release(sb)
	passing := map[string]bool{}
	for _, id := range repo.Baseline.Passing() {
		passing[id] = true
	}
	restore := func(file string, src []byte) {
		t.Helper()
		if err := sb.WriteFiles(ctx, sandbox.File{Path: sandbox.DefaultWorkdir + "/" + file, Data: src, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(art *artifact.Artifact, file string, src []byte) *TestRun {
		t.Helper()
		if err := sb.WriteFiles(ctx, sandbox.File{Path: sandbox.DefaultWorkdir + "/" + file, Data: src, Mode: 0o644}, scriptFile(art)); err != nil {
			t.Fatal(err)
		}
		r, err := a.runScriptFor(ctx, sb, repo, "bug", art, mutantLimit)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f2p := func(r *TestRun) []string {
		var out []string
		for id, s := range r.Results {
			if passing[id] && (s == plugin.StatusFailed || s == plugin.StatusError) {
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return out
	}
	sources := repo.sources()
	sort.Strings(sources)
	var ranSelected, ranWhole, mutants, whole int
	for _, op := range desc.Operators {
		caught, tries := 0, 0
	files:
		for _, file := range sources {
			orig, err := artifact.ReadTree(repo.Dir, []string{file})
			if err != nil {
				t.Fatal(err)
			}
			sites, err := repo.Lang.MutationSites(ctx, &plugin.MutationSitesRequest{Path: file, Source: orig[file], Operators: []string{op}})
			if err != nil || sites.ParseError != "" {
				continue
			}
			for i, site := range sites.Sites {
				if i%3 != 0 { // spread the tries over the file
					continue
				}
				m, err := repo.Lang.ApplyMutation(ctx, &plugin.ApplyMutationRequest{Path: file, Source: orig[file], Site: site, Operator: op})
				if err != nil || m.Refused != "" {
					continue
				}
				if tries++; tries > 6 {
					break files
				}
				wholeRun := run(full, file, m.Source)
				want := f2p(wholeRun)
				if !wholeRun.Completed() || len(want) == 0 {
					restore(file, orig[file])
					continue
				}
				d, err := patches.Diff(file, orig[file], m.Source)
				if err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("%s at %s:%d (%s)", op, file, site.Line, m.Description)
				sel := a.selectTests(repo, d.String(), nil)
				mutants++
				if sel.Whole != "" {
					whole++
					t.Logf("%s: whole suite (%s)", what, sel.Whole)
				} else {
					for _, id := range want {
						if !slices.Contains(sel.IDs, id) && !slices.Contains(sel.IDs, repo.Coverage.Owner(id)) {
							t.Errorf("%s: F2P test %s of the whole suite is not selected (selected %q)", what, id, sel.IDs)
						}
					}
					cmd, ok, err := selectionScript(ctx, repo, sel, nil)
					if err != nil || !ok {
						t.Fatalf("%s: no script for the selection: %v", what, err)
					}
					selRun := run(&artifact.Artifact{TestScript: cmd.Script, Parser: artifact.Parser{Builtin: cmd.Parser}}, file, m.Source)
					if got := f2p(selRun); !slices.Equal(got, want) {
						t.Errorf("%s: the selected run finds F2P %q, the whole suite %q", what, got, want)
					}
					ranSelected += len(selRun.Results)
					ranWhole += len(wholeRun.Results)
				}
				restore(file, orig[file])
				caught++
				break files
			}
		}
		if caught == 0 {
			t.Errorf("operator %s: no mutant the whole suite catches among %d tried in %s", op, tries, repo.Name)
		}
	}
	t.Logf("%s: %d caught mutants, %d ran the whole suite; the selected runs ran %d tests where the whole suite ran %d",
		repo.Name, mutants, whole, ranSelected, ranWhole)
}
