package arena

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// solverOps are the edits offered to a structured solver: the invertible operators, among which one edit at
// the site undoes each of them byte for byte (plugintest.Reachable proves it for the first-party plugins).
// Removals do not repair.
var solverOps = plugin.InvertibleOperators

// Attempt is one solver episode on one bug and its evaluation.
type Attempt struct {
	Index      int
	Prediction string // the diff of the work tree against the task commit, test files left out
	Eval       *Evaluation
	Turns      []agent.Turn
	Invalid    int    // actions answered as invalid
	Ended      string // submit, turns or wall clock
	Started    time.Time
	Finished   time.Time
}

// Solve runs one solver episode of ag on bug and evaluates its prediction.
func (a *Arena) Solve(ctx context.Context, repo *Repo, bug *Bug, ag agent.Agent, index int) (*Attempt, error) {
	inner, ids := a.specTests(ctx, repo, bug)
	return a.attemptWith(ctx, repo, bug, index, inner, func(ctx context.Context, sb sandbox.Sandbox, att *Attempt) error {
		st, err := bug.state(repo)
		if err != nil {
			return err
		}
		e := &episode{
			id: newID("ep"), ag: ag, sb: sb, rules: &solverRules{a: a, repo: repo, bug: bug, cache: siteCache{}, inner: inner, ids: ids, cover: indexCoverage(repo.Coverage),
				goal: hostBase(repo, nil)},
			ws: newWorkspace(sb, hostBase(repo, st)), maxTurns: a.solverTurns(ag), tools: defaultToolLimits,
			task: agent.Task{Role: agent.Solver, Repo: repo.Name, Language: repo.Language, Workdir: sandbox.DefaultWorkdir,
				Spec: bug.Spec(), Text: bug.TaskText()},
		}
		e.deadline, _ = ctx.Deadline()
		err = e.run(ctx)
		att.Turns, att.Invalid, att.Ended = e.turns, e.invalid, e.ended
		return err
	})
}

// solverRules are the solver's candidates (edits at sites in source files: the inverse of every injection
// operator among them), its test runs (the spec's tests, see specTests) and its hand-in (the work tree's
// diff, taken by attempt).
type solverRules struct {
	a     *Arena
	repo  *Repo
	bug   *Bug
	cache siteCache
	inner *artifact.Artifact // what run_tests runs (the sandbox's test script): the spec's tests, or the bug's whole script
	ids   []string           // the tests run_tests counts: those of inner that are the bug's F2P and P2P tests
	cover lineIndex          // the repository's coverage by file; nil without coverage
	first *spectrum          // the episode's first run_tests, for the ochiai feature
	// goal is a file's content in the repository, before the bug: what the solver's edits are checked
	// against in hindsight (fixes).
	goal func(path string) ([]byte, bool, error)
}

func (r *solverRules) candidates(ctx context.Context, e *episode) ([]candidate, error) {
	cs, err := siteCandidatesIn(ctx, r.repo, e.ws, r.cache, nil, "edit", r.repo.sources(), solverOps, 0, 0)
	if err != nil {
		return nil, err
	}
	return solverCoverage(cs, r.cover, r.first), nil
}

// runTests runs the spec's tests (or the bug's script when they cannot be run alone), with the bug's
// script's time limit, and counts what keeps them from passing.
func (r *solverRules) runTests(ctx context.Context, e *episode) (agent.Result, error) {
	inner, ids := r.inner, r.ids
	if inner == nil {
		inner, ids = r.bug.Artifact, slices.Concat(r.bug.F2P, r.bug.P2P)
	}
	run, err := r.a.runScriptFor(ctx, e.sb, r.repo, "solver", inner, r.a.timeoutFor(r.repo, r.bug.Artifact))
	if err != nil {
		return agent.Result{}, err
	}
	if r.first == nil && r.cover != nil {
		r.first = spectrumOf(run, ids, r.repo.Coverage)
	}
	res := testResult(run)
	res.Failing = specFailing(run, ids, res.Tests)
	return res, nil
}

// specTests is what the solver's inner runs (run_tests) run: the spec's tests, that is the bug's F2P tests
// (the failing tests the spec names) and its P2P tests defined in the files the spec diff touches, when the
// plugin runs tests by id with the bug's parser; ids are the tests run_tests counts. Otherwise, and with
// select_tests off, it is the bug's own script and every F2P and P2P test. The evaluation always runs the
// bug's whole script.
func (a *Arena) specTests(ctx context.Context, repo *Repo, bug *Bug) (*artifact.Artifact, []string) {
	all := slices.Concat(bug.F2P, bug.P2P)
	art := bug.Artifact
	if !a.cfg.SelectTests || repo.TestCommand != "" || art.Parser.IsScript() || len(bug.F2P) == 0 {
		return art, all
	}
	touched := map[string]bool{}
	if bug.Diffs != nil && bug.Diffs.Weaken != nil {
		for _, p := range bug.Diffs.Weaken.Paths() {
			touched[p] = true
		}
	}
	files := map[string]string{}
	if repo.Baseline != nil {
		for _, t := range repo.Baseline.Tests {
			files[t.ID] = t.File
		}
	}
	ids := slices.Clone(bug.F2P)
	for _, id := range bug.P2P {
		if f := files[id]; f != "" && touched[f] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	cmd, err := repo.Lang.TestCommand(ctx, &plugin.TestCommandRequest{TestIDs: ids})
	if err != nil || !cmd.SelectsIDs || cmd.Parser != art.Parser.Builtin {
		return art, all
	}
	return &artifact.Artifact{TestScript: cmd.Script, Parser: art.Parser}, ids
}

// specFailing counts what keeps the solver's run from passing, recording each test's status in tests.
// What the solver is scored on is the bug's F2P and P2P tests (ids): one that did not run (the edit made the
// suite hang or stop building) is as far from passing as one that fails. A run killed at its time limit
// never reads as passing, even when every one of ids reported a pass before the kill: it counts as one.
func specFailing(run *TestRun, ids []string, tests map[string]string) int {
	failing := 0
	for _, id := range ids {
		if s := run.Status(id); s != plugin.StatusPassed {
			failing++
			tests[id] = s
		}
	}
	if failing == 0 && (run.End == plugin.RunTimedOut || run.TimedOut) {
		failing = 1
	}
	return failing
}

func (r *solverRules) submit(context.Context, *episode) (agent.Result, error) {
	return agent.Result{Output: "submitted: the work tree's diff against the task commit is the prediction"}, nil
}

// gitFresh replaces the sandbox repository's history by one fresh commit: history would leak the answer.
// The new repository is the layout git init makes, less its samples, written by the shell: git init itself
// (templates, file-system probes) costs as much as the add and the commit together. The commit starts no
// maintenance (a detached process that would run beside the episode) and, like the add, syncs nothing: a
// sandbox does not outlive a crash.
const gitFresh = `set -e
rm -rf .git
mkdir -p .git/objects .git/refs/heads .git/refs/tags
echo 'ref: refs/heads/master' > .git/HEAD
printf '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n' > .git/config
git -c core.fsync=none add -A
git -c core.fsync=none -c maintenance.auto=false -c gc.auto=0 -c user.name=ssr -c user.email=ssr@localhost -c commit.gpgsign=false commit -q --no-verify -m task`

// freshHistory is a solver's sandbox whose history gitFresh has yet to replace. The first exec that can
// take it runs gitFresh as its Setup, so that the new history costs no round trip of its own (the first
// exec of an episode is nearly always the agent's); any other call (a write, which must not go into the
// task commit, a read, a diff, an exec with a Setup or input of its own or as another user) runs gitFresh
// on its own first. One episode uses it at a time.
type freshHistory struct {
	sandbox.Sandbox
	pending bool
}

// fresh runs gitFresh on its own, once.
func (s *freshHistory) fresh(ctx context.Context) error {
	if !s.pending {
		return nil
	}
	res, err := s.Sandbox.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", gitFresh}, Dir: sandbox.DefaultWorkdir})
	if err == nil && !res.OK() {
		return s.failed(res)
	}
	if err != nil {
		return fmt.Errorf("fresh history in sandbox %s: %w", s.ID(), err)
	}
	s.pending = false
	return nil
}

// failed is the error of a gitFresh that ran and failed.
func (s *freshHistory) failed(res sandbox.ExecResult) error {
	return fmt.Errorf("fresh history in sandbox %s: exit %d (timed out: %v): %s", s.ID(), res.ExitCode, res.TimedOut, tail(res.Stderr, 300))
}

func (s *freshHistory) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	if !s.pending {
		return s.Sandbox.Exec(ctx, req)
	}
	if req.Setup != "" || req.Stdin != nil || req.User != "" {
		if err := s.fresh(ctx); err != nil {
			return sandbox.ExecResult{}, err
		}
		return s.Sandbox.Exec(ctx, req)
	}
	r := req
	r.Setup = "set -e\ncd " + sandbox.DefaultWorkdir + "\n" + gitFresh
	res, err := s.Sandbox.Exec(ctx, r)
	if err != nil {
		return res, err // whether it ran is unknown: the next call runs it (it can run twice)
	}
	if res.SetupFailed {
		return sandbox.ExecResult{}, s.failed(res)
	}
	s.pending = false
	return res, nil
}

func (s *freshHistory) WriteFiles(ctx context.Context, files ...sandbox.File) error {
	if err := s.fresh(ctx); err != nil {
		return err
	}
	return s.Sandbox.WriteFiles(ctx, files...)
}

func (s *freshHistory) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := s.fresh(ctx); err != nil {
		return nil, err
	}
	return s.Sandbox.ReadFile(ctx, path)
}

func (s *freshHistory) Diff(ctx context.Context) ([]byte, error) {
	if err := s.fresh(ctx); err != nil {
		return nil, err
	}
	return s.Sandbox.Diff(ctx)
}

func (s *freshHistory) Reset(ctx context.Context) error {
	if err := s.fresh(ctx); err != nil {
		return err
	}
	return s.Sandbox.Reset(ctx)
}

func (s *freshHistory) Commit(ctx context.Context, ref string, changes ...string) (string, error) {
	if err := s.fresh(ctx); err != nil {
		return "", err
	}
	return s.Sandbox.Commit(ctx, ref, changes...)
}

// actor is what acts in a prepared solver sandbox: an agent's episode, or a scripted solver in tests.
type actor func(ctx context.Context, sb sandbox.Sandbox, att *Attempt) error

// attempt prepares the solver's sandbox as DESIGN.md says (bug and weakening applied, order-2 parent
// prediction applied, history replaced by one fresh commit), lets act work in it within the attempt's time
// budget, takes the work tree's diff as the prediction and evaluates it in a fresh sandbox.
func (a *Arena) attempt(ctx context.Context, repo *Repo, bug *Bug, index int, act actor) (*Attempt, error) {
	return a.attemptWith(ctx, repo, bug, index, bug.Artifact, act)
}

// attemptWith is attempt with script's test script run in the solver's sandbox instead of the bug's (the
// spec's tests: see specTests); when it must be installed (scriptFiles), in the same transfer as the bug's
// files.
func (a *Arena) attemptWith(ctx context.Context, repo *Repo, bug *Bug, index int, script *artifact.Artifact, act actor) (*Attempt, error) {
	att := &Attempt{Index: index, Started: time.Now()}
	sb, err := a.sandboxes.Start(ctx, repo.spec(a.job, "solver"))
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: %w", index, err)
	}
	released := false
	defer func() {
		if !released {
			a.release(sb)
		}
	}()
	st, err := bug.state(repo)
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: bug state: %w", index, err)
	}
	if err := st.applyTo(ctx, sb, scriptFiles(script)...); err != nil {
		return nil, err
	}
	fresh := &freshHistory{Sandbox: sb, pending: true}

	budget, cancel := context.WithTimeout(ctx, a.cfg.SolverTime)
	err = act(budget, fresh, att)
	outOfTime := budget.Err() != nil // read before cancel, which sets it
	cancel()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err() // the job is stopping: this attempt is not finished and will run again on resume
	case err != nil && !outOfTime:
		// The agent failed (its endpoint is gone): the attempt is not finished, the job records the
		// failure and a later step (or --resume) runs it again.
		return nil, err
	}
	// The prediction is whatever the work tree holds now, even when the budget ran out mid-way.
	raw, err := fresh.Diff(ctx)
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: diff: %w", index, err)
	}
	pred, err := patches.ParseBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: the sandbox's diff does not parse: %w", index, err)
	}
	_, pred = patches.Split(pred, repo.IsTestFile)
	att.Prediction = pred.String()
	// The solver's sandbox goes before the evaluation's starts: an attempt holds one sandbox at a time, so
	// that Config.Containers goroutines never need more than Config.Containers sandboxes.
	released = true
	a.release(sb)
	att.Eval, err = a.Evaluate(ctx, repo, bug, pred)
	att.Finished = time.Now()
	return att, err
}

func notPassing(run *TestRun) []string {
	var out []string
	for id, s := range run.Results {
		if s == plugin.StatusFailed || s == plugin.StatusError {
			out = append(out, id)
		}
	}
	return out
}

func summary(run *TestRun) string {
	counts := map[string]int{}
	for _, s := range run.Results {
		counts[s]++
	}
	s := fmt.Sprintf("%d passed, %d failed, %d error, %d skipped", counts[plugin.StatusPassed], counts[plugin.StatusFailed], counts[plugin.StatusError], counts[plugin.StatusSkipped])
	if run.ParseErr != "" {
		s += "; parser: " + run.ParseErr
	}
	if run.End != "" && run.End != plugin.RunCompleted {
		s += "; the run " + run.Ending()
	}
	return s
}
