package arena

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// writeArtifact is the actions of a code-writing injector that writes parts (file name → content) to the
// artifact directory, then submits.
func writeArtifact(parts map[string]string) []agent.Action {
	var out []agent.Action
	for name, content := range parts {
		out = append(out, agent.Action{Tool: agent.ToolCreate, Path: artifactDir + "/" + name, Content: content})
	}
	return append(out, agent.Action{Tool: agent.ToolSubmit})
}

// TestInjectCollectsTheArtifact: a code-writing injector's hand-in is collected from the artifact directory
// under the design's or the paper's file names and goes to validation unchanged; a missing part is a
// rejection with its reason, not an error.
func TestInjectCollectsTheArtifact(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2 }))
	ctx := context.Background()
	art := moneyBug(t, repo)
	files := strings.Join(art.TestFiles, "\n") + "\n"
	tests := map[string]struct {
		parts         map[string]string
		wantRejection string
	}{
		"design names": {parts: map[string]string{artifact.TestScriptFile: art.TestScript, artifact.TestFilesFile: files,
			artifact.ParserFile: art.Parser.Builtin + "\n", artifact.BugDiffFile: art.BugDiff, artifact.WeakenDiffFile: art.WeakenDiff}},
		"paper names": {parts: map[string]string{artifact.TestScriptFile: art.TestScript, artifact.TestFilesFile: files,
			artifact.ParserFile: art.Parser.Builtin + "\n", "bug_patch.diff": art.BugDiff, "test_patch.diff": art.WeakenDiff, "notes.md": "scratch"}},
		"a missing part": {parts: map[string]string{artifact.TestScriptFile: art.TestScript, artifact.ParserFile: "pytest\n",
			artifact.BugDiffFile: art.BugDiff, artifact.WeakenDiffFile: art.WeakenDiff}, wantRejection: artifactDir + ": not an artifact: test_files.txt is missing"},
		"one part under both names": {parts: map[string]string{artifact.TestScriptFile: art.TestScript, artifact.TestFilesFile: files,
			artifact.ParserFile: "pytest\n", artifact.BugDiffFile: art.BugDiff, "bug_patch.diff": art.BugDiff, artifact.WeakenDiffFile: art.WeakenDiff},
			wantRejection: "holds both bug_inject.diff and bug_patch.diff"},
		"nothing written": {parts: map[string]string{}, wantRejection: "test_script.sh is missing"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ag := &scripted{failAt: -1, actions: writeArtifact(tc.parts)}
			inj, err := ar.Inject(ctx, repo, InjectPlan{Strategy: StrategyHistory}, ag)
			if err != nil {
				t.Fatal(err)
			}
			if inj.Ended != endSubmit || len(inj.Turns) != len(tc.parts)+1 || inj.Invalid != 0 {
				t.Fatalf("ended %q after %d turns (%d invalid); want submit after %d", inj.Ended, len(inj.Turns), inj.Invalid, len(tc.parts)+1)
			}
			if ag.seen[0].Task.ArtifactDir != artifactDir || ag.seen[0].Candidates != nil {
				t.Errorf("task %+v with %d candidates: want the artifact dir and no candidates", ag.seen[0].Task, len(ag.seen[0].Candidates))
			}
			if tc.wantRejection != "" {
				if !strings.Contains(inj.Rejection, tc.wantRejection) {
					t.Fatalf("rejection %q, want %q", inj.Rejection, tc.wantRejection)
				}
				return
			}
			if inj.Rejection != "" {
				t.Fatalf("rejected: %s", inj.Rejection)
			}
			got := inj.Artifact
			if got.TestScript != art.TestScript || got.BugDiff != art.BugDiff || got.WeakenDiff != art.WeakenDiff ||
				got.Parser != art.Parser || strings.Join(got.TestFiles, ",") != strings.Join(art.TestFiles, ",") {
				t.Fatalf("collected %+v, want the parts as written", got)
			}
			rep, err := ar.Validate(ctx, repo, got)
			if err != nil || !rep.Valid {
				t.Fatalf("the collected money bug must be valid: %v %v", err, rep.Rejection)
			}
		})
	}
}

// TestHistoryRules: the injector's sandbox holds the history up to the repository's commit and nothing
// later (no branch, tag or reflog entry leads past it); the solver's holds one fresh commit.
func TestHistoryRules(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ctx := context.Background()
	sh := func(sb sandbox.Sandbox, script string) string {
		t.Helper()
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", script}, Dir: sandbox.DefaultWorkdir})
		if err != nil || !res.OK() {
			t.Fatalf("%s: %v exit %d: %s", script, err, res.ExitCode, res.Stderr)
		}
		return strings.TrimSpace(string(res.Stdout))
	}
	hostLog, err := exec.Command("git", "-C", repo.Dir, "log", "--format=%H", repo.Commit).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(hostLog))

	// A repository whose clone knows commits after the one the job uses: a branch, a tag and a reflog entry.
	sb := startSandbox(t, f, repo, "injector")
	future := sh(sb, `set -e
git -c user.name=t -c user.email=t@t -c commit.gpgsign=false commit -q --allow-empty -m "the fix"
git branch future && git tag v9 && git rev-parse HEAD
git checkout -q --detach HEAD~1`)
	if writable, err := pruneHistory(ctx, sb, repo.Commit, repos.ArtifactDir); err != nil {
		t.Fatal(err)
	} else if !writable {
		t.Errorf("pruneHistory: the image's %s is not writable by the sandbox's user", repos.ArtifactDir)
	}
	if writable, err := pruneHistory(ctx, sb, repo.Commit, "/etc"); err != nil || writable {
		t.Errorf("pruneHistory: /etc writable %v (%v), want false", writable, err)
	}
	if got := sh(sb, "git log --all --format=%H"); got != want {
		t.Errorf("git log --all after pruning:\n%s\nwant the history up to %s:\n%s", got, repo.Commit, want)
	}
	if got := sh(sb, "git reflog --all; git for-each-ref; git cat-file -t "+future+" 2>&1 || true"); strings.Contains(got, "commit") && strings.Contains(got, future) {
		t.Errorf("the later commit %s can still be found:\n%s", future, got)
	}
	if sh(sb, "git rev-parse HEAD") != repo.Commit {
		t.Errorf("HEAD moved off %s", repo.Commit)
	}

	// The injector's own sandbox, as Inject starts it.
	ar := f.arena(conf(func(c *Config) { c.Containers = 2 }))
	full, err := ar.fullSuite(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	isb, err := ar.startInjector(ctx, repo, full)
	if err != nil {
		t.Fatal(err)
	}
	defer isb.Close(ctx)
	if got := sh(isb, "git log --all --format=%H"); got != want {
		t.Errorf("injector sandbox: git log --all:\n%s\nwant:\n%s", got, want)
	}

	// The solver's: one fresh commit, nothing else.
	art := moneyBug(t, repo)
	rep, err := ar.Validate(ctx, repo, art)
	if err != nil || !rep.Valid {
		t.Fatalf("the money bug must be valid: %v %v", err, rep.Rejection)
	}
	bug := &Bug{ID: "bug-history", Artifact: art, Diffs: rep.Diffs, Order: 1, F2P: rep.F2P, P2P: rep.P2P}
	var solverLog string
	if _, err := ar.attempt(ctx, repo, bug, 0, func(ctx context.Context, sb sandbox.Sandbox, _ *Attempt) error {
		solverLog = sh(sb, "git log --all --format=%H%x09%s")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(solverLog, "\n"); len(lines) != 1 || !strings.HasSuffix(lines[0], "\ttask") {
		t.Errorf("solver sandbox: git log --all:\n%s\nwant one commit named task", solverLog)
	}
	// The fresh history travels with the agent's first exec (above); when the first call is not an exec it
	// is made first all the same: a diff then shows nothing (the bug is in the task commit), a read of the
	// git directory sees the new history only.
	var firstDiff []byte
	var head []byte
	if _, err := ar.attempt(ctx, repo, bug, 1, func(ctx context.Context, sb sandbox.Sandbox, _ *Attempt) error {
		var err error
		if firstDiff, err = sb.Diff(ctx); err != nil {
			return err
		}
		head, err = sb.ReadFile(ctx, ".git/HEAD")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(firstDiff) != 0 || string(head) != "ref: refs/heads/master\n" {
		t.Errorf("solver sandbox, diff as the first call: %q, .git/HEAD %q; want no diff and the new repository's HEAD", firstDiff, head)
	}
}

// TestNativeInjectorRecordsEverySite: the native injector's episode through the loop: each apply of a
// multi-site mutation lists every site of the change so far, each records its decision, and the hand-in
// changes the files of those sites. With select_tests on (the default), a run_tests after a change runs the
// tests that cover it, not the whole suite (TestSelectionLosesNoBug shows that such a run finds every F2P
// test the whole suite finds).
func TestNativeInjectorRecordsEverySite(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2; c.InjectorTurns = 2 }))
	inj, err := ar.Inject(context.Background(), repo, InjectPlan{Strategy: StrategyMutation, Sites: 2, Seed: 5}, native.New(nil, 5))
	if err != nil {
		t.Fatal(err)
	}
	applies := 0
	var last []string
	for _, turn := range inj.Turns {
		t.Logf("turn %d %s: %s %s %v", turn.N, turn.Action.Tool, turn.Result.Error, firstLine(turn.Result.Output), turn.Result.Sites)
		switch turn.Action.Tool {
		case agent.ToolRunTests:
			if applies == 0 {
				continue
			}
			var passed, failed, errored, skipped int
			fmt.Sscanf(strings.SplitN(turn.Result.Output, "\n", 2)[1], "%d passed, %d failed, %d error, %d skipped", &passed, &failed, &errored, &skipped)
			if ran := passed + failed + errored + skipped; !strings.Contains(firstLine(turn.Result.Output), "selected test id(s)") || ran == 0 || ran >= len(repo.Baseline.Tests) {
				t.Errorf("turn %d ran %d of %d tests (%q): want the tests covering the change", turn.N, ran, len(repo.Baseline.Tests), firstLine(turn.Result.Output))
			}
		case agent.ToolRevert:
			applies = 0
		case agent.ToolApply:
			d := turn.Action.Decision
			if d == nil || len(d.Rows) == 0 || d.LogProb > 0 {
				t.Errorf("turn %d: decision %+v, want its rows and log-probability", turn.N, d)
			}
			if turn.Result.Error != "" {
				continue
			}
			applies++
			if len(turn.Result.Sites) != applies {
				t.Errorf("turn %d lists sites %q, want the %d of the change so far", turn.N, turn.Result.Sites, applies)
			}
			last = turn.Result.Sites
		}
	}
	if len(last) != 2 || inj.Artifact == nil {
		t.Fatalf("sites %q, artifact %v: want a two-site change handed in", last, inj.Artifact != nil)
	}
	for _, site := range last {
		file, _, _ := strings.Cut(site, ":")
		if !strings.Contains(inj.Artifact.BugDiff, "+++ b/"+file) {
			t.Errorf("site %s is not in the bug diff:\n%s", site, inj.Artifact.BugDiff)
		}
	}
}

// TestInjectStrategyNeedsAgent: a strategy the agent does not play is refused before any sandbox starts,
// with a reason that names the agent the strategy needs; and the turn budget follows the agent's kind.
func TestInjectStrategyNeedsAgent(t *testing.T) {
	a := New(nil, "job", conf(func(c *Config) { c.InjectorMaxTurns = 9; c.SolverMaxTurns = 7 }), nil)
	for name, tc := range map[string]struct {
		structured bool
		strategy   string
		want       string
	}{
		"mutation, code writer": {false, StrategyMutation, "mutation needs a structured agent"},
		"direct, structured":    {true, StrategyDirect, "direct needs an agent that writes code"},
		"unknown":               {false, "guess", `unknown injector strategy "guess"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := a.Inject(context.Background(), nil, InjectPlan{Strategy: tc.strategy}, &scripted{structured: tc.structured})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	writer, native := &scripted{}, &scripted{structured: true}
	if a.injectorTurns(writer) != 9 || a.solverTurns(writer) != 7 {
		t.Errorf("code writer budgets %d/%d, want the config's 9/7", a.injectorTurns(writer), a.solverTurns(writer))
	}
	if a.injectorTurns(native) == 9 || a.solverTurns(native) == 7 {
		t.Errorf("native budgets %d/%d: want them derived from injector_turns and solver_turns", a.injectorTurns(native), a.solverTurns(native))
	}
}
