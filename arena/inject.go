package arena

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Injector strategies of the native agent.
const (
	StrategyMutation = "mutation" // 1–3 plugin mutation sites
	StrategyRemoval  = "removal"  // a function body removed
	StrategyHistory  = "history"  // one source file's change from a past commit reverted
)

// Injection is one injector episode: the artifact it handed in and its turns.
type Injection struct {
	Artifact *artifact.Artifact
	Strategy string
	Turns    []Turn
	Started  time.Time
	Finished time.Time
}

// maxInjectFiles bounds how many source files one injector turn asks the plugin about.
const maxInjectFiles = 8

// Inject runs one native injector episode on repo: each turn it picks a change by the strategy, applies it in
// its sandbox and runs the whole test suite; the first change that makes originally passing tests fail
// becomes the artifact (oracle test files around the failing tests, the plugin's test command and parser,
// the failing tests removed through the plugin as the weakening). When no turn breaks a test, the last change
// is handed in anyway, without a weakening, and validation rejects it: the failure is recorded, not hidden.
func (a *Arena) Inject(ctx context.Context, repo *Repo, strategy string, ag *agent.Native) (*Injection, error) {
	inj := &Injection{Strategy: strategy, Started: time.Now()}
	full, err := a.fullSuite(ctx, repo)
	if err != nil {
		return nil, err
	}
	orig, err := a.original(ctx, repo, full)
	if err != nil {
		return nil, err
	}
	sb, err := a.sandboxes.Start(ctx, repo.spec(a.job, "injector"))
	if err != nil {
		return nil, fmt.Errorf("injector: %w", err)
	}
	defer a.release(sb)
	if err := installScript(ctx, sb, full); err != nil {
		return nil, err
	}

	var bugFiles map[string][]byte
	for turn := 0; turn < a.cfg.InjectorTurns && ctx.Err() == nil; turn++ {
		start := time.Now()
		files, cand, choices, err := a.proposeChange(ctx, repo, strategy, ag)
		if err != nil {
			return nil, err
		}
		if files == nil {
			inj.Turns = append(inj.Turns, Turn{N: turn, Action: strategy, Choices: choices, Observation: "no applicable candidate", Millis: time.Since(start).Milliseconds()})
			continue
		}
		bugFiles = files
		if err := writeFiles(ctx, sb, files); err != nil {
			return nil, err
		}
		run, err := a.runScript(ctx, sb, repo, "injector", full)
		if err != nil {
			return nil, err
		}
		var failing []string
		for id := range orig.passing {
			if run.Results[id] != plugin.StatusPassed {
				failing = append(failing, id)
			}
		}
		sort.Strings(failing)
		inj.Turns = append(inj.Turns, Turn{N: turn, Action: strategy, Candidate: cand, Choices: choices, Failing: len(failing),
			Observation: fmt.Sprintf("%s; %d originally passing test(s) now fail", summary(run), len(failing)), Millis: time.Since(start).Milliseconds()})
		if len(failing) > 0 {
			art, err := a.buildArtifact(ctx, repo, files, failing, mergeFiles(orig.runs[0].Files, run.Files))
			if err != nil {
				return nil, err
			}
			inj.Artifact = art
			inj.Turns = append(inj.Turns, Turn{N: turn + 1, Action: "submit", Observation: fmt.Sprintf("%d oracle test file(s), %d test(s) removed by the weakening", len(art.TestFiles), len(failing))})
			inj.Finished = time.Now()
			return inj, nil
		}
		if err := restoreFiles(ctx, sb, repo, files); err != nil {
			return nil, err
		}
	}
	// Nothing broke: hand in the last change with no weakening, so the rejection is on record.
	inj.Artifact = &artifact.Artifact{TestScript: full.TestScript, Parser: full.Parser, TestFiles: nil}
	if bugFiles != nil {
		if d, err := diffFiles(repo, bugFiles); err == nil {
			inj.Artifact.BugDiff = d
		}
	}
	inj.Turns = append(inj.Turns, Turn{N: len(inj.Turns), Action: "submit", Observation: "no change broke a test; handing in the last one"})
	inj.Finished = time.Now()
	return inj, nil
}

// fullSuite is an artifact-shaped description of running every test of the repository.
func (a *Arena) fullSuite(ctx context.Context, repo *Repo) (*artifact.Artifact, error) {
	resp, err := repo.Lang.TestCommand(ctx, &plugin.TestCommandRequest{})
	if err != nil {
		return nil, fmt.Errorf("test command of %s: %w", repo.Name, err)
	}
	return &artifact.Artifact{TestScript: resp.Script, Parser: artifact.Parser{Builtin: resp.Parser}}, nil
}

// proposeChange builds the candidates of a strategy, lets the agent choose and returns the changed files.
func (a *Arena) proposeChange(ctx context.Context, repo *Repo, strategy string, ag *agent.Native) (map[string][]byte, *agent.Candidate, int, error) {
	switch strategy {
	case StrategyHistory:
		return a.proposeHistory(ctx, repo, ag)
	case StrategyMutation, StrategyRemoval:
	default:
		return nil, nil, 0, fmt.Errorf("unknown injector strategy %q (use mutation, removal or history)", strategy)
	}
	sources := repo.languageSources()
	if len(sources) == 0 {
		return nil, nil, 0, nil
	}
	ops := []string{plugin.OpRemoveBody}
	steps := 1
	if strategy == StrategyMutation {
		ops = nil
		for _, op := range plugin.AllOperators {
			// constant_minus_one is the solver's inverse of constant_off_by_one; as a bug it mostly makes a
			// loop endless, which costs every later run its timeout and teaches little.
			if op != plugin.OpRemoveBody && op != plugin.OpConstantMinusOne {
				ops = append(ops, op)
			}
		}
		steps = 1 + ag.Intn(3)
	}
	files := map[string][]byte{}
	var last *agent.Candidate
	total := 0
	for step := 0; step < steps; step++ {
		var acts []siteAction
		for _, i := range sampleIndexes(ag, len(sources), maxInjectFiles) {
			f := sources[i]
			src, ok := files[f]
			if !ok {
				data, err := artifact.ReadTree(repo.Dir, []string{f})
				if err != nil {
					return nil, nil, 0, err
				}
				src = data[f]
			}
			fa, err := siteActions(ctx, repo.Lang, strategy, f, src, ops)
			if err != nil {
				return nil, nil, 0, err
			}
			acts = append(acts, fa...)
		}
		if len(acts) == 0 {
			break
		}
		cands := make([]agent.Candidate, len(acts))
		for i, x := range acts {
			cands[i] = x.cand
		}
		total += len(cands)
		k, err := ag.Choose(ctx, agent.Injector, cands)
		if err != nil {
			return nil, nil, 0, err
		}
		act := acts[k]
		src, ok := files[act.cand.File]
		if !ok {
			data, err := artifact.ReadTree(repo.Dir, []string{act.cand.File})
			if err != nil {
				return nil, nil, 0, err
			}
			src = data[act.cand.File]
		}
		out, desc, refused, err := applySite(ctx, repo.Lang, act.cand.File, src, act)
		if err != nil {
			return nil, nil, 0, err
		}
		if refused != "" {
			continue
		}
		files[act.cand.File] = out
		c := act.cand
		c.Description = desc
		last = &c
	}
	if len(files) == 0 {
		return nil, last, total, nil
	}
	return files, last, total, nil
}

// proposeHistory reverts one source file's change from a past commit (a commit with one parent), applied to
// the file as it is now.
func (a *Arena) proposeHistory(ctx context.Context, repo *Repo, ag *agent.Native) (map[string][]byte, *agent.Candidate, int, error) {
	type change struct {
		commit, file  string
		before, after string
	}
	r, err := git.PlainOpen(repo.Dir)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("history of %s: %w", repo.Name, err)
	}
	iter, err := r.Log(&git.LogOptions{})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("history of %s: %w", repo.Name, err)
	}
	sources := map[string]bool{}
	for _, f := range repo.languageSources() {
		sources[f] = true
	}
	var changes []change
	err = iter.ForEach(func(c *object.Commit) error {
		if c.NumParents() != 1 || len(changes) > 200 {
			return nil
		}
		parent, err := c.Parent(0)
		if err != nil {
			return err
		}
		pt, err1 := parent.Tree()
		ct, err2 := c.Tree()
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		diffs, err := object.DiffTreeWithOptions(ctx, pt, ct, nil)
		if err != nil {
			return err
		}
		for _, d := range diffs {
			if d.From.Name == "" || d.To.Name == "" || d.From.Name != d.To.Name || !sources[d.To.Name] {
				continue
			}
			before, err1 := blobText(pt, d.From.Name)
			after, err2 := blobText(ct, d.To.Name)
			if errors.Join(err1, err2) != nil {
				continue
			}
			changes = append(changes, change{commit: c.Hash.String(), file: d.To.Name, before: before, after: after})
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("history of %s: %w", repo.Name, err)
	}
	if len(changes) == 0 {
		return nil, nil, 0, nil
	}
	cands := make([]agent.Candidate, len(changes))
	for i, c := range changes {
		cands[i] = agent.Candidate{Kind: StrategyHistory, File: c.file, Commit: c.commit,
			Description: fmt.Sprintf("revert %s's change to %s", c.commit[:12], c.file)}
	}
	k, err := ag.Choose(ctx, agent.Injector, cands)
	if err != nil {
		return nil, nil, 0, err
	}
	c := changes[k]
	fwd, err := patches.Diff(c.file, []byte(c.before), []byte(c.after))
	if err != nil || len(fwd.Files) == 0 {
		return nil, &cands[k], len(cands), nil
	}
	now, err := artifact.ReadTree(repo.Dir, []string{c.file})
	if err != nil {
		return nil, nil, 0, err
	}
	out, err := patches.ApplyMap(now, patches.Reverse(fwd))
	if err != nil {
		return nil, &cands[k], len(cands), nil // the file moved on since: this revert does not apply
	}
	return map[string][]byte{c.file: out[c.file]}, &cands[k], len(cands), nil
}

func blobText(t *object.Tree, name string) (string, error) {
	f, err := t.File(name)
	if err != nil {
		return "", err
	}
	r, err := f.Reader()
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// buildArtifact turns a change that breaks tests into the five parts.
func (a *Arena) buildArtifact(ctx context.Context, repo *Repo, bugFiles map[string][]byte, failing []string, known map[string]string) (*artifact.Artifact, error) {
	defining, err := a.definingFiles(ctx, repo, failing, known)
	if err != nil {
		return nil, err
	}
	dirs := map[string]bool{}
	exts := map[string]bool{}
	for f := range defining {
		dirs[path.Dir(f)] = true
		exts[path.Ext(f)] = true
	}
	testModules := map[string]bool{}
	for _, f := range known {
		testModules[f] = true
	}
	var oracle, script []string
	for _, f := range repo.TestFiles {
		if !dirs[path.Dir(f)] {
			continue
		}
		oracle = append(oracle, f)
		_, isDefining := defining[f]
		if isDefining || testModules[f] || (len(known) == 0 && exts[path.Ext(f)]) {
			script = append(script, f)
		}
	}
	sort.Strings(oracle)
	cmd, err := repo.Lang.TestCommand(ctx, &plugin.TestCommandRequest{TestFiles: script})
	if err != nil {
		return nil, fmt.Errorf("test command for %d file(s): %w", len(script), err)
	}
	bugDiff, err := diffFiles(repo, bugFiles)
	if err != nil {
		return nil, err
	}
	weakened := map[string][]byte{}
	for f, ids := range defining {
		src, err := artifact.ReadTree(repo.Dir, []string{f})
		if err != nil {
			return nil, err
		}
		resp, err := repo.Lang.RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: f, Source: src[f], Tests: ids})
		if err != nil {
			return nil, fmt.Errorf("remove tests from %s: %w", f, err)
		}
		if len(resp.Removed) > 0 {
			weakened[f] = resp.Source
		}
	}
	weakenDiff, err := diffFiles(repo, weakened)
	if err != nil {
		return nil, err
	}
	return &artifact.Artifact{
		TestScript: cmd.Script,
		TestFiles:  oracle,
		Parser:     artifact.Parser{Builtin: cmd.Parser},
		BugDiff:    bugDiff,
		WeakenDiff: weakenDiff,
	}, nil
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

func mergeBytes(base, over map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func mergeFiles(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func writeFiles(ctx context.Context, sb sandbox.Sandbox, files map[string][]byte) error {
	var fs []sandbox.File
	for p, d := range files {
		fs = append(fs, sandbox.File{Path: p, Data: d})
	}
	return sb.WriteFiles(ctx, fs...)
}

func restoreFiles(ctx context.Context, sb sandbox.Sandbox, repo *Repo, files map[string][]byte) error {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	orig, err := artifact.ReadTree(repo.Dir, paths)
	if err != nil {
		return err
	}
	return writeFiles(ctx, sb, orig)
}

// sampleIndexes draws up to k distinct indexes below n.
func sampleIndexes(ag *agent.Native, n, k int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < n && i < k; i++ {
		j := i + ag.Intn(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	if n > k {
		idx = idx[:k]
	}
	return idx
}
