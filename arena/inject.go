package arena

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"sort"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Injector strategies.
const (
	StrategyMutation = "mutation" // 1–3 plugin mutation sites (structured agents)
	StrategyDirect   = "direct"   // a realistic mistake written by the agent (agents that write code)
	StrategyRemoval  = "removal"  // a function body removed
	StrategyHistory  = "history"  // one source file's change from a past commit reverted
)

// InjectPlan is what the job drew for one injector episode.
type InjectPlan struct {
	Strategy string
	Sites    int    // mutation sites to change (native agents); 1 when unset
	Seed     uint64 // the episode's own draws (which files are offered as candidates)
	// Operators are the mutation operators offered (the curriculum's stage); the strategy's all when empty.
	Operators []string
	Stage     string // the curriculum stage that chose Sites and Operators, for the record
	// Crowded is the spread prior of the injector's candidates by site and by operator, from the repository's
	// recent bugs and how they were solved (spread.go). The zero Crowding for none.
	Crowded Crowding
}

// operators are the mutation operators the plan offers.
func (p InjectPlan) operators() []string {
	if len(p.Operators) > 0 {
		return p.Operators
	}
	return injectorOps(p.Strategy)
}

// Injection is one injector episode: the artifact it handed in, or why there is none, and its turns.
type Injection struct {
	Artifact  *artifact.Artifact // what was handed in (possibly partial when Rejection is set)
	Rejection string             // the hand-in is not an artifact (a part is missing): a rejection, not an error
	Strategy  string
	Turns     []agent.Turn
	Invalid   int    // actions answered as invalid
	Ended     string // submit, turns or wall clock
	Started   time.Time
	Finished  time.Time
}

// artifactDir is where a code-writing injector writes the five parts (repos.ArtifactDir).
const artifactDir = repos.ArtifactDir

// Inject runs one injector episode on repo. The sandbox holds the repository's history up to its commit and
// nothing later. On submit, a structured agent's change becomes an artifact the way the native injector
// always built it (oracle test files around the failing tests, the plugin's test command and parser, the
// failing tests removed through the plugin as the weakening); any other agent's artifact is collected from
// Task.ArtifactDir and handed to validation unchanged. An episode that ends without a submit hands in what
// there is, so that its rejection is on record.
func (a *Arena) Inject(ctx context.Context, repo *Repo, plan InjectPlan, ag agent.Agent) (*Injection, error) {
	structured := agent.IsStructured(ag)
	switch plan.Strategy {
	case StrategyRemoval, StrategyHistory:
	case StrategyMutation:
		if !structured {
			return nil, fmt.Errorf("injector strategy mutation needs a structured agent (native); agent %s writes code: give it direct, removal or history", ag.Name())
		}
	case StrategyDirect:
		if structured {
			return nil, fmt.Errorf("injector strategy direct needs an agent that writes code (llm); agent %s plays mutation, removal or history", ag.Name())
		}
	default:
		return nil, fmt.Errorf("unknown injector strategy %q (use direct, removal, history or mutation)", plan.Strategy)
	}
	inj := &Injection{Strategy: plan.Strategy, Started: time.Now()}
	full, err := a.fullSuite(ctx, repo)
	if err != nil {
		return nil, err
	}
	orig, err := a.original(ctx, repo, full)
	if err != nil {
		return nil, err
	}
	sb, err := a.startInjector(ctx, repo, full)
	if err != nil {
		return nil, err
	}
	defer a.release(sb)
	coverageFile := ""
	if table := coverageTable(repo.Coverage); !structured && a.cfg.SelectTests && table != nil {
		if err := sb.WriteFiles(ctx, sandbox.File{Path: coverageTablePath, Data: table, Mode: 0o644}); err != nil {
			return nil, fmt.Errorf("injector: write %s: %w", coverageTablePath, err)
		}
		coverageFile = coverageTablePath
	}

	rules := &injectorRules{a: a, repo: repo, full: full, installed: full, cover: indexCoverage(repo.Coverage), passing: orig.passing, known: orig.runs[0].Files,
		strategy: plan.Strategy, ops: plan.operators(), crowded: plan.Crowded, rng: rand.New(rand.NewPCG(plan.Seed, plan.Seed^0x5851f42d4c957f2d)), cache: siteCache{}}
	e := &episode{
		id: newID("ep"), ag: ag, sb: sb, rules: rules, ws: newWorkspace(sb, hostBase(repo, nil)),
		maxTurns: a.injectorTurns(ag), deadline: time.Now().Add(a.cfg.InjectorTime), tools: defaultToolLimits,
		task: agent.Task{Role: agent.Injector, Strategy: plan.Strategy, Repo: repo.Name, Language: repo.Language,
			Workdir: sandbox.DefaultWorkdir, ArtifactDir: artifactDir, TestCommand: full.TestScript, Parser: full.Parser.Builtin,
			MinPassingTests: a.cfg.MinPassingTests, MinFailingTests: a.cfg.MinFailingTests, MinChangedFiles: a.cfg.MinChangedFiles,
			Sites: max(1, plan.Sites), CoverageFile: coverageFile},
	}
	budget, cancel := context.WithDeadline(ctx, e.deadline)
	err = e.run(budget)
	cancel()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("%s injector episode on %s: %w", plan.Strategy, repo.Name, err)
	}
	if e.ended != endSubmit {
		// Out of turns or time: hand in what there is.
		if _, err := rules.submit(ctx, e); err != nil {
			return nil, err
		}
	}
	inj.Artifact, inj.Rejection = rules.art, rules.rejection
	inj.Turns, inj.Invalid, inj.Ended = e.turns, e.invalid, e.ended
	inj.Finished = time.Now()
	return inj, nil
}

// startInjector starts the injector's sandbox: the repository at its commit with no later history, the
// full suite's script installed where it does not travel in the command (scriptFiles), the artifact
// directory made.
func (a *Arena) startInjector(ctx context.Context, repo *Repo, full *artifact.Artifact) (sandbox.Sandbox, error) {
	sb, err := a.sandboxes.Start(ctx, repo.spec(a.job, "injector"))
	if err != nil {
		return nil, fmt.Errorf("injector: %w", err)
	}
	ready, err := pruneHistory(ctx, sb, repo.Commit, artifactDir)
	if err != nil {
		a.release(sb)
		return nil, fmt.Errorf("injector: %w", err)
	}
	if err := installScript(ctx, sb, full); err != nil {
		a.release(sb)
		return nil, err
	}
	if ready {
		return sb, nil
	}
	// An image ssr did not build lacks it. The agent's user writes the artifact there, but only root may
	// make a directory at the root, and root in a sandbox has no capability to give it away: it is open to
	// all (a sandbox has one user).
	if res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"mkdir", "-p", "-m", "0777", artifactDir}, User: "0"}); err != nil || !res.OK() {
		a.release(sb)
		return nil, fmt.Errorf("injector: make %s: %v %s", artifactDir, err, tail(res.Stderr, 200))
	}
	return sb, nil
}

// hostBase reads a repository file as the episode starts: from the overlay when it changes the file, else
// from the host checkout (the same commit as /repo in the image).
func hostBase(repo *Repo, ov *overlay) func(string) ([]byte, bool, error) {
	memo := map[string][]byte{}
	return func(p string) ([]byte, bool, error) {
		if ov != nil {
			if data, ok := ov.write[p]; ok {
				return data, true, nil
			}
			if slices.Contains(ov.remove, p) {
				return nil, false, nil
			}
		}
		if data, ok := memo[p]; ok {
			return data, data != nil, nil
		}
		tree, err := artifact.ReadTree(repo.Dir, []string{p})
		if err != nil {
			return nil, false, err
		}
		memo[p] = tree[p]
		return tree[p], tree[p] != nil, nil
	}
}

// injectorRules are the injector's candidates, test runs and hand-in.
type injectorRules struct {
	a        *Arena
	repo     *Repo
	full     *artifact.Artifact
	passing  map[string]bool   // tests that pass on the original code
	known    map[string]string // test id → defining file, from the original run
	strategy string
	ops      []string // the mutation operators offered
	crowded  Crowding // the plan's Crowded
	rng      *rand.Rand
	cache    siteCache
	cover    lineIndex   // the repository's coverage by file; nil without coverage
	history  []candidate // the history strategy's changes, built once
	histDone bool

	installed *artifact.Artifact // the script in the sandbox: full (startInjector's) until a selection replaces it
	last      *testState
	art       *artifact.Artifact
	rejection string
}

func (r *injectorRules) candidates(ctx context.Context, e *episode) ([]candidate, error) {
	if r.strategy == StrategyHistory {
		if !r.histDone {
			var err error
			if r.history, err = historyCandidates(ctx, r.repo); err != nil {
				return nil, err
			}
			r.histDone = true
		}
		return r.history, nil
	}
	cs, err := siteCandidatesIn(ctx, r.repo, e.ws, r.cache, r.rng, r.strategy, r.repo.sources(), r.ops, maxInjectFiles, maxInjectVisits)
	if err != nil {
		return nil, err
	}
	return spread(injectorCoverage(cs, r.cover, r.repo.Baseline), r.crowded), nil
}

// runTests runs the whole suite, or for a structured injector with select_tests on the tests that can see
// its change (script); Broken counts the originally passing tests that now report a failure.
func (r *injectorRules) runTests(ctx context.Context, e *episode) (agent.Result, error) {
	script, note, err := r.script(ctx, e)
	if err != nil {
		return agent.Result{}, err
	}
	if script != r.installed {
		if err := installScript(ctx, e.sb, script); err != nil {
			return agent.Result{}, err
		}
		r.installed = script
	}
	run, err := r.a.runScriptFor(ctx, e.sb, r.repo, "injector", script, r.a.injectorTimeout(r.repo, script))
	if err != nil {
		return agent.Result{}, err
	}
	var broken []string
	for id := range r.passing {
		if s := run.Results[id]; s == plugin.StatusFailed || s == plugin.StatusError {
			broken = append(broken, id)
		}
	}
	sort.Strings(broken)
	r.last = &testState{run: run, broken: broken, version: e.ws.version}
	res := testResult(run)
	res.Broken = len(broken)
	res.Output = fmt.Sprintf("%d originally passing test(s) now fail%s\n%s", len(broken), note, res.Output)
	return res, nil
}

// script is what the injector's run_tests runs. With select_tests on, a structured injector (whose every
// change the workspace knows: it writes no code through bash) runs the tests whose recorded coverage meets
// a line it changed, the tests the coverage never saw and enough for min_passing_tests (selectTests with no
// failing tests yet): a test that executes no changed line cannot see the change, and validation runs the
// artifact's own selection whatever this run found. Otherwise, and before any change, the whole suite; note
// says which.
func (r *injectorRules) script(ctx context.Context, e *episode) (*artifact.Artifact, string, error) {
	if !r.a.cfg.SelectTests || !agent.IsStructured(e.ag) {
		return r.full, "", nil
	}
	files, err := e.ws.changed()
	if err != nil || len(files) == 0 {
		return r.full, "", err
	}
	diff, err := diffFiles(r.repo, files)
	if err != nil {
		return nil, "", err
	}
	sel := r.a.selectTests(r.repo, diff, nil)
	cmd, ok, err := selectionScript(ctx, r.repo, sel, r.known)
	if err != nil || !ok || cmd.Parser != r.full.Parser.Builtin {
		return r.full, "", err
	}
	return &artifact.Artifact{TestScript: cmd.Script, Parser: r.full.Parser}, fmt.Sprintf(" (of %d selected test id(s): %d covering the changed lines)", len(sel.IDs), sel.Covering), nil
}

func (r *injectorRules) submit(ctx context.Context, e *episode) (agent.Result, error) {
	if !agent.IsStructured(e.ag) {
		art, why, err := collectArtifact(ctx, e.sb, artifactDir)
		if err != nil {
			return agent.Result{}, err
		}
		r.art, r.rejection = art, why
		if why != "" {
			return agent.Result{Output: "handed in; it will be rejected: " + why}, nil
		}
		return agent.Result{Output: fmt.Sprintf("artifact collected from %s: %d oracle test file(s)", artifactDir, len(art.TestFiles))}, nil
	}
	files, err := e.ws.changed()
	if err != nil {
		return agent.Result{}, err
	}
	sites := slices.Clone(e.ws.sites)
	if r.last != nil && r.last.version == e.ws.version && len(r.last.broken) > 0 && len(files) > 0 {
		art, note, err := r.a.buildArtifact(ctx, r.repo, files, r.last.broken, mergeFiles(r.known, r.last.run.Files))
		if err != nil {
			return agent.Result{}, err
		}
		r.art = art
		return agent.Result{Output: fmt.Sprintf("%d oracle test file(s), %d test(s) removed by the weakening; %s", len(art.TestFiles), len(r.last.broken), note), Sites: sites}, nil
	}
	// Nothing broke (or nothing was run): hand in the change with no weakening, so the rejection is on record.
	r.art = &artifact.Artifact{TestScript: r.full.TestScript, Parser: r.full.Parser}
	if len(files) > 0 {
		if r.art.BugDiff, err = diffFiles(r.repo, files); err != nil {
			return agent.Result{}, err
		}
	}
	return agent.Result{Output: "no test run shows this change breaking a test; handing it in as it is", Sites: sites}, nil
}

// testResult is a test run as a tool result: the counts, every test that did not pass, and the tail of the
// output (where runners print their failures' summary).
func testResult(run *TestRun) agent.Result {
	tests := map[string]string{}
	for id, s := range run.Results {
		if s != plugin.StatusPassed {
			tests[id] = s
		}
	}
	return agent.Result{Output: summary(run) + "\n" + capTail(string(run.Output), runTestsOutput), ExitCode: run.ExitCode,
		Failing: len(notPassing(run)), Tests: tests}
}

// runTestsOutput is how much of a test run's output a run_tests result keeps.
const runTestsOutput = 32 << 10

// buildArtifact turns a change that breaks tests into the five parts. The oracle test files are the test
// files in the directories of the files that define the failing tests; the script runs the selected tests
// (selectTests: the failing ones, those covering the changed lines, enough for min_passing_tests), or the
// whole suite when there is no selection; note says which.
func (a *Arena) buildArtifact(ctx context.Context, repo *Repo, bugFiles map[string][]byte, failing []string, known map[string]string) (art *artifact.Artifact, note string, err error) {
	defining, err := a.definingFiles(ctx, repo, failing, known)
	if err != nil {
		return nil, "", err
	}
	dirs := map[string]bool{}
	for f := range defining {
		dirs[path.Dir(f)] = true
	}
	var oracle []string
	for _, f := range repo.TestFiles {
		if dirs[path.Dir(f)] {
			oracle = append(oracle, f)
		}
	}
	sort.Strings(oracle)
	bugDiff, err := diffFiles(repo, bugFiles)
	if err != nil {
		return nil, "", err
	}
	full, err := a.fullSuite(ctx, repo)
	if err != nil {
		return nil, "", err
	}
	cmd := &plugin.TestCommandResponse{Script: full.TestScript, Parser: full.Parser.Builtin}
	sel := a.selectTests(repo, bugDiff, failing)
	if narrowed, ok, err := selectionScript(ctx, repo, sel, known); err != nil {
		return nil, "", err
	} else if ok {
		cmd = narrowed
	} else if sel.Whole == "" {
		sel.Whole = "the plugin cannot run the selected tests alone"
	}
	total := 0
	if repo.Baseline != nil {
		total = len(repo.Baseline.Tests)
	}
	note = sel.note(total)
	weakened := map[string][]byte{}
	for f, ids := range defining {
		src, err := artifact.ReadTree(repo.Dir, []string{f})
		if err != nil {
			return nil, "", err
		}
		resp, err := repo.Lang.RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: f, Source: src[f], Tests: ids})
		if err != nil {
			return nil, "", fmt.Errorf("remove tests from %s: %w", f, err)
		}
		if len(resp.Removed) > 0 {
			weakened[f] = resp.Source
		}
	}
	weakenDiff, err := diffFiles(repo, weakened)
	if err != nil {
		return nil, "", err
	}
	return &artifact.Artifact{
		TestScript: cmd.Script,
		TestFiles:  oracle,
		Parser:     artifact.Parser{Builtin: cmd.Parser},
		BugDiff:    bugDiff,
		WeakenDiff: weakenDiff,
	}, note, nil
}

// definingFiles maps each test file to the failing tests it defines: from the parser where it knows, and
// otherwise by asking the plugin which test file can remove the test.
func (a *Arena) definingFiles(ctx context.Context, repo *Repo, failing []string, known map[string]string) (map[string][]string, error) {
	out := map[string][]string{}
	var unknown []string
	for _, id := range failing {
		if f, ok := known[id]; ok && slices.Contains(repo.TestFiles, f) {
			out[f] = append(out[f], id)
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) == 0 {
		return out, nil
	}
	for _, f := range repo.TestFiles {
		if path.Ext(f) == "" {
			continue
		}
		src, err := artifact.ReadTree(repo.Dir, []string{f})
		if err != nil {
			return nil, err
		}
		resp, err := repo.Lang.RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: f, Source: src[f], Tests: unknown})
		if err != nil {
			continue // not a file this plugin can edit (a data file under tests/)
		}
		if len(resp.Removed) > 0 {
			out[f] = append(out[f], resp.Removed...)
		}
	}
	return out, nil
}

// diffFiles renders the change from the repository's files to the given contents as a git-style diff.
func diffFiles(repo *Repo, files map[string][]byte) (string, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	old, err := artifact.ReadTree(repo.Dir, paths)
	if err != nil {
		return "", err
	}
	d, err := patches.DiffMaps(old, mergeBytes(old, files))
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// mergeBytes is base with over on top; a nil content in over deletes the path.
func mergeBytes(base, over map[string][]byte) map[string][]byte {
	out := maps.Clone(base)
	for k, v := range over {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func mergeFiles(a, b map[string]string) map[string]string {
	out := map[string]string{}
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}
