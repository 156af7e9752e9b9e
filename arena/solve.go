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

// solverOps are the edits the native solver tries: the reversible operators (removals do not repair).
var solverOps = []string{
	plugin.OpComparisonFlip, plugin.OpBooleanSwap, plugin.OpArithmeticSwap, plugin.OpConstantOffByOne,
	plugin.OpConstantMinusOne, plugin.OpNegateCondition, plugin.OpSwapArguments,
}

// solverShortlist is how many of the best-ranked edit candidates the solver's policy chooses among.
const solverShortlist = 10

// Turn is one step of an episode: what the agent saw and did, and what came of it.
type Turn struct {
	N           int              `json:"n"`
	Action      string           `json:"action"` // run_tests, edit, revert, submit, mutate, weaken, …
	Candidate   *agent.Candidate `json:"candidate,omitempty"`
	Choices     int              `json:"choices,omitempty"` // how many candidates the policy chose among
	Observation string           `json:"observation"`
	Failing     int              `json:"failing,omitempty"`
	Millis      int64            `json:"ms"`
}

// Attempt is one solver episode on one bug and its evaluation.
type Attempt struct {
	Index      int
	Prediction string // the diff of the work tree against the task commit, test files left out
	Eval       *Evaluation
	Turns      []Turn
	Started    time.Time
	Finished   time.Time
}

// gitFresh replaces the sandbox repository's history by one fresh commit: history would leak the answer.
const gitFresh = `set -e
rm -rf .git
git init -q
git add -A
git -c user.name=ssr -c user.email=ssr@localhost -c commit.gpgsign=false commit -q --no-verify -m task`

// Solve runs one native solver attempt on bug and evaluates its prediction.
func (a *Arena) Solve(ctx context.Context, repo *Repo, bug *Bug, ag *agent.Native, index int) (*Attempt, error) {
	return a.attempt(ctx, repo, bug, index, func(ctx context.Context, sb sandbox.Sandbox, att *Attempt) error {
		return a.solveLoop(ctx, sb, repo, bug, ag, att)
	})
}

// actor is what acts in a prepared solver sandbox: the native solver's loop, or a scripted solver in tests.
type actor func(ctx context.Context, sb sandbox.Sandbox, att *Attempt) error

// attempt prepares the solver's sandbox as DESIGN.md says (bug and weakening applied, order-2 parent
// prediction applied, history replaced by one fresh commit), lets act work in it within the attempt's time
// budget, takes the work tree's diff as the prediction and evaluates it in a fresh sandbox.
func (a *Arena) attempt(ctx context.Context, repo *Repo, bug *Bug, index int, act actor) (*Attempt, error) {
	att := &Attempt{Index: index, Started: time.Now()}
	sb, err := a.sandboxes.Start(ctx, repo.spec(a.job, "solver"))
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: %w", index, err)
	}
	defer a.release(sb)
	st, err := bug.state(repo)
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: bug state: %w", index, err)
	}
	if err := st.applyTo(ctx, sb, scriptFile(bug.Artifact)); err != nil {
		return nil, err
	}
	if res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", gitFresh}, Dir: sandbox.DefaultWorkdir}); err != nil {
		return nil, fmt.Errorf("solver attempt %d: fresh history: %w", index, err)
	} else if !res.OK() {
		return nil, fmt.Errorf("solver attempt %d: fresh history: exit %d: %s", index, res.ExitCode, tail(res.Stderr, 300))
	}

	budget, cancel := context.WithTimeout(ctx, a.cfg.SolverTime)
	err = act(budget, sb, att)
	cancel()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err() // the job is stopping: this attempt is not finished and will run again on resume
	case err != nil && budget.Err() == nil:
		return nil, err
	}
	// The prediction is whatever the work tree holds now, even when the budget ran out mid-way.
	raw, err := sb.Diff(ctx)
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: diff: %w", index, err)
	}
	pred, err := patches.ParseBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("solver attempt %d: the sandbox's diff does not parse: %w", index, err)
	}
	_, pred = patches.Split(pred, repo.IsTestFile)
	att.Prediction = pred.String()
	att.Eval, err = a.Evaluate(ctx, repo, bug, pred)
	att.Finished = time.Now()
	return att, err
}

// solveLoop is the native solver: it reads the spec (it writes the hidden tests back, which is what the spec
// says they are), runs them, and tries edits at mutation sites ranked by the failing output, keeping an edit
// when fewer tests fail with it and undoing it otherwise, until the tests pass or the turn budget ends.
func (a *Arena) solveLoop(ctx context.Context, sb sandbox.Sandbox, repo *Repo, bug *Bug, ag *agent.Native, att *Attempt) error {
	turn := func(t Turn, start time.Time) {
		t.N = len(att.Turns)
		t.Millis = time.Since(start).Milliseconds()
		att.Turns = append(att.Turns, t)
	}
	start := time.Now()
	turn(Turn{Action: "task", Observation: bug.TaskText()}, start)
	// The spec is the reverse of the weakening: applied to the weakened test files it gives back the hidden
	// tests, which are the listed test files as the repository has them.
	hidden, err := artifactTestFiles(repo, bug)
	if err != nil {
		return err
	}
	if err := writeFiles(ctx, sb, hidden); err != nil {
		return err
	}
	turn(Turn{Action: "apply_spec", Observation: fmt.Sprintf("wrote %d test file(s) from the spec", len(hidden))}, start)

	run, err := a.runScript(ctx, sb, repo, "solver", bug.Artifact)
	if err != nil {
		return err
	}
	failing := notPassing(run)
	turn(Turn{Action: "run_tests", Failing: len(failing), Observation: summary(run)}, start)

	// The sandbox holds the bug state, which the host knows exactly: read sources here, not through the engine.
	state, err := bug.state(repo)
	if err != nil {
		return err
	}
	sources := repo.languageSources()
	orig, err := artifact.ReadTree(repo.Dir, sources)
	if err != nil {
		return err
	}
	var acts []siteAction
	contents := map[string][]byte{}
	for _, f := range sources {
		src, ok := state.write[f]
		if !ok {
			src, ok = orig[f]
		}
		if !ok || slices.Contains(state.remove, f) {
			continue // deleted by the bug: nothing to edit there
		}
		contents[f] = src
		fa, err := siteActions(ctx, repo.Lang, "edit", f, src, solverOps)
		if err != nil {
			return err
		}
		acts = append(acts, fa...)
	}
	rankByOutput(acts, string(run.Output), failing, run.Files)
	acts = shortlist(acts, solverShortlist, 3)
	type tied struct {
		file, desc string
		content    []byte
	}
	var tie *tied
	kept := false

	for edits := 0; len(failing) > 0 && edits < a.cfg.SolverTurns && len(acts) > 0 && ctx.Err() == nil; edits++ {
		start := time.Now()
		cands := make([]agent.Candidate, len(acts))
		for i, x := range acts {
			cands[i] = x.cand
		}
		k, err := ag.Choose(ctx, agent.Solver, cands)
		if err != nil {
			return err
		}
		act := acts[k]
		acts = append(acts[:k], acts[k+1:]...)
		old := contents[act.cand.File]
		// Sites are positions in the file as first read; an edit kept earlier may have moved them, so ask
		// again for the site at the same line, node and operator.
		act, ok := relocate(ctx, repo.Lang, act, old)
		if !ok {
			turn(Turn{Action: "edit", Candidate: &act.cand, Choices: len(cands), Observation: "site no longer present"}, start)
			continue
		}
		out, desc, refused, err := applySite(ctx, repo.Lang, act.cand.File, old, act)
		if err != nil {
			return err
		}
		if refused != "" {
			turn(Turn{Action: "edit", Candidate: &act.cand, Choices: len(cands), Observation: "refused: " + refused}, start)
			continue
		}
		if err := sb.WriteFiles(ctx, sandbox.File{Path: act.cand.File, Data: out}); err != nil {
			return err
		}
		run, err := a.runScript(ctx, sb, repo, "solver", bug.Artifact)
		if err != nil {
			return err
		}
		now := notPassing(run)
		if len(now) < len(failing) {
			contents[act.cand.File] = out
			failing = now
			kept = true
			turn(Turn{Action: "edit", Candidate: &act.cand, Choices: len(cands), Failing: len(now), Observation: desc + "; kept: " + summary(run)}, start)
			continue
		}
		if err := sb.WriteFiles(ctx, sandbox.File{Path: act.cand.File, Data: old}); err != nil {
			return err
		}
		turn(Turn{Action: "edit", Candidate: &act.cand, Choices: len(cands), Failing: len(now), Observation: desc + "; undone: " + summary(run)}, start)
		if len(now) == len(failing) {
			tie = &tied{file: act.cand.File, content: out, desc: desc}
		}
	}
	// Submitting nothing teaches nothing: when no edit helped, hand in the last one that did no harm, a
	// plausible but wrong repair (the material of order-2 bugs).
	if len(failing) > 0 && len(contents) > 0 && tie != nil && !kept {
		if err := sb.WriteFiles(ctx, sandbox.File{Path: tie.file, Data: tie.content}); err != nil {
			return err
		}
		turn(Turn{Action: "edit", Observation: tie.desc + "; kept as the best guess (no edit reduced the failures)"}, time.Now())
	}
	turn(Turn{Action: "submit", Failing: len(failing), Observation: fmt.Sprintf("%d test(s) not passing in the spec's run", len(failing))}, time.Now())
	return nil
}

// artifactTestFiles reads the bug's listed test files as the repository has them.
func artifactTestFiles(repo *Repo, bug *Bug) (map[string][]byte, error) {
	return artifact.ReadTree(repo.Dir, bug.Artifact.TestFiles)
}

// relocate finds the site of act again in src (same line, node and operator).
func relocate(ctx context.Context, lang plugin.Language, act siteAction, src []byte) (siteAction, bool) {
	fresh, err := siteActions(ctx, lang, act.cand.Kind, act.cand.File, src, []string{act.cand.Operator})
	if err != nil {
		return act, false
	}
	for _, f := range fresh {
		if f.site.Line == act.site.Line && f.site.Node == act.site.Node && f.site.Column == act.site.Column {
			f.cand.Features = act.cand.Features
			return f, true
		}
	}
	return act, false
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
	if run.TimedOut {
		s += "; timed out"
	}
	return s
}
