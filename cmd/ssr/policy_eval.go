package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sourcegraph/conc/pool"
	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/policy"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/rewards"
)

// evalOptions are `ssr policy eval`'s settings.
type evalOptions struct {
	set        string
	k          int
	attempts   int
	seed       uint64
	containers int
	resamples  int
	json       bool
}

func init() {
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval CHECKPOINT --bugs SET",
		Short: "Measure a policy version's solver success@1 and pass@k on a frozen bug set, with 95% confidence intervals",
		Long: `Attempt every bug of a frozen set (ssr policy freeze) --attempts times with the native solver scored by
CHECKPOINT: a policy-vNNNNNN.safetensors file, a directory 'ssr train' publishes to (its newest version, read
once), or uniform (version 0). Each attempt is a real solver episode in a fresh sandbox, evaluated as in a job,
under the set's arena settings; nothing is recorded in any job and nothing trains on it.

success@1 is solved attempts over attempts, with a Wilson score interval (attempts on one bug are not
independent when --attempts > 1: then read pass@1's interval). pass@k is the mean over bugs of the unbiased
estimator 1 − C(n−c, k)/C(n, k), with a percentile bootstrap interval over bugs. Progress goes to stderr; the
table, or with --json one JSON document, to stdout.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.set == "":
				return usageError{errors.New("eval needs --bugs SET, a set made by 'ssr policy freeze JOB --out SET'")}
			case o.attempts < 1:
				return usageError{fmt.Errorf("--attempts %d: give at least 1 attempt per bug", o.attempts)}
			case o.k < 1 || o.k > o.attempts:
				return usageError{fmt.Errorf("--k %d: pass@k needs 1 ≤ k ≤ --attempts (%d): raise --attempts or lower --k", o.k, o.attempts)}
			case o.containers < 0:
				return usageError{fmt.Errorf("--containers %d: give a positive number, or 0 for the set's", o.containers)}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			res, err := evalPolicy(ctx, cmd.ErrOrStderr(), args[0], o)
			if err != nil {
				return err
			}
			return printResult(cmd.OutOrStdout(), o.json, res, res.table)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.set, "bugs", "", "the frozen bug set (ssr policy freeze)")
	f.IntVar(&o.k, "k", 1, "the k of pass@k")
	f.IntVar(&o.attempts, "attempts", 1, "solver attempts per bug")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the agent's sampling and of the bootstrap")
	f.IntVar(&o.containers, "containers", 0, "containers alive at once (0: the set's arena.containers)")
	f.IntVar(&o.resamples, "bootstrap", 10000, "bootstrap resamples for pass@k's interval")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	policyCmd.AddCommand(cmd)
}

// evalResult is what `ssr policy eval` reports.
type evalResult struct {
	Policy         string           `json:"policy"`               // as given
	Checkpoint     string           `json:"checkpoint,omitempty"` // the file that scored; empty for uniform
	Version        int64            `json:"version"`
	Set            string           `json:"set"`
	SetJob         string           `json:"set_job"`
	Bugs           int              `json:"bugs"`
	AttemptsPerBug int              `json:"attempts_per_bug"`
	Attempts       int              `json:"attempts"` // evaluated
	Solved         int              `json:"solved"`
	Errors         int              `json:"errors"` // attempts that failed outside the protocol (an engine error), left out
	SuccessAt1     rewards.Interval `json:"success_at_1"`
	K              int              `json:"k"`
	PassAtK        rewards.Interval `json:"pass_at_k"`
	PassAtKBugs    int              `json:"pass_at_k_bugs"` // bugs with at least k evaluated attempts
	// FixProb is the mean probability the policy gave, at an attempt's first choice, the edits that would
	// have fixed the bug (agent.Decision.Fixes), over the FixChoices attempts whose first choice had one
	// among its rows; percentile bootstrap interval over those attempts. It measures how the policy ranks the
	// fix itself, apart from the luck of the hill climb that follows.
	FixProb    rewards.Interval `json:"fix_prob"`
	FixChoices int              `json:"fix_choices"`
	Resamples  int              `json:"bootstrap_resamples"`
	Warnings   []string         `json:"warnings,omitempty"`
	Seconds    float64          `json:"seconds"`
	PerBug     []evalBug        `json:"per_bug"`
}

// evalBug is one bug's attempts.
type evalBug struct {
	ID       string    `json:"id"`
	Repo     string    `json:"repo"`
	Attempts int       `json:"attempts"`
	Solved   int       `json:"solved"`
	Errors   []string  `json:"errors,omitempty"`
	FixProbs []float64 `json:"fix_probs,omitempty"` // per attempt with a fix at its first choice (evalResult.FixProb)
}

// evalScorer is the scorer of CHECKPOINT, fixed for the whole evaluation: a directory gives its newest
// version as it is now.
func evalScorer(spec string) (native.Scorer, string, error) {
	if spec == uniformPolicy {
		return native.Uniform{}, "", nil
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint %s: %w (give a policy-vNNNNNN.safetensors file, a directory 'ssr train' publishes to, or uniform)", spec, err)
	}
	path := spec
	if fi.IsDir() {
		if path, _, err = policy.Newest(spec); err != nil {
			return nil, "", err
		}
		if path == "" {
			return nil, "", fmt.Errorf("checkpoint %s: the directory holds no published version: train first, or give uniform", spec)
		}
	}
	m, err := policy.Load(path)
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint %s: %w", spec, err)
	}
	return m, path, nil
}

// evalPolicy prepares the set's repositories, checks they are the code the set was frozen on, and runs
// every attempt.
func evalPolicy(ctx context.Context, progress io.Writer, spec string, o evalOptions) (*evalResult, error) {
	set, err := readBugSet(o.set)
	if err != nil {
		return nil, err
	}
	sc, path, err := evalScorer(spec)
	if err != nil {
		return nil, err
	}
	res := &evalResult{Policy: spec, Checkpoint: path, Version: sc.Version(), Set: o.set, SetJob: set.Job, Bugs: len(set.Bugs),
		AttemptsPerBug: o.attempts, K: o.k, Resamples: o.resamples}
	cfg := set.Arena
	if o.containers > 0 {
		cfg.Containers = o.containers
	}
	owner, err := docker.Self()
	if err != nil {
		return nil, err
	}
	env, err := openSandboxEnv(ctx, progress, cfg, owner)
	if err != nil {
		return nil, err
	}
	defer env.Close(ctx)
	list := make([]repos.Repo, len(set.Repos))
	for i, r := range set.Repos {
		list[i] = r.Repo
	}
	prepared, err := arena.Prepare(ctx, env.builder, list)
	if err != nil {
		return nil, err
	}
	byName := map[string]*arena.Repo{}
	for i, r := range prepared {
		fr := set.Repos[i]
		if r.Commit != fr.Commit {
			return nil, fmt.Errorf("eval: %s is at commit %.12s now, and the set was frozen at %.12s: the bugs belong to other code; freeze a set from a job on this code", r.Name, r.Commit, fr.Commit)
		}
		if r.ImageID != fr.ImageID {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: image %.19s now, %.19s when frozen (same commit; its build inputs changed)", r.Name, r.ImageID, fr.ImageID))
		}
		byName[r.Name] = r
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(progress, "warning:", w)
	}
	bugs := make([]*arena.Bug, len(set.Bugs))
	for i := range set.Bugs {
		if bugs[i], err = set.Bugs[i].arenaBug(byName[set.Bugs[i].Repo]); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
	}

	ar := arena.New(env.provider, fmt.Sprintf("eval-%s-%d", time.Now().UTC().Format("20060102-150405"), os.Getpid()), cfg, nil)
	defer ar.Wait()
	for i, bug := range bugs { // time limits as in the job: derived from the original code's runs
		if err := ar.LearnTimeLimit(ctx, byName[set.Bugs[i].Repo], bug.Artifact); err != nil {
			return nil, fmt.Errorf("eval: original runs of bug %s: %w", bug.ID, err)
		}
	}
	ag := native.New(sc, o.seed)
	start := time.Now()
	res.PerBug = make([]evalBug, len(bugs))
	for i, fb := range set.Bugs {
		res.PerBug[i] = evalBug{ID: fb.ID, Repo: fb.Repo}
	}
	fmt.Fprintf(progress, "evaluating policy %s (version %d) on %d bug(s) of %s, %d attempt(s) each, %d container(s)\n",
		spec, res.Version, len(bugs), o.set, o.attempts, cfg.Containers)
	var mu sync.Mutex
	done, total := 0, len(bugs)*o.attempts
	p := pool.New().WithContext(ctx).WithMaxGoroutines(max(1, cfg.Containers))
	for a := range o.attempts { // attempt-major: every bug gets its first attempt before any its second
		for i, bug := range bugs {
			p.Go(func(ctx context.Context) error {
				att, err := ar.Solve(ctx, byName[set.Bugs[i].Repo], bug, ag, a)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				var turns []agent.Turn
				if att != nil {
					turns = att.Turns
				}
				fp, fixable, fpErr := firstFixProb(ctx, sc, turns)
				mu.Lock()
				defer mu.Unlock()
				done++
				pb := &res.PerBug[i]
				if fpErr != nil {
					return fmt.Errorf("eval: bug %s: %w", bug.ID, fpErr)
				}
				if err == nil && fixable {
					pb.FixProbs = append(pb.FixProbs, fp)
				}
				what := "solved"
				switch {
				case err != nil:
					pb.Errors = append(pb.Errors, err.Error())
					what = "error (left out): " + err.Error()
				case att.Eval != nil && att.Eval.Success:
					pb.Attempts++
					pb.Solved++
				default:
					pb.Attempts++
					what = "failed"
					if att.Eval != nil {
						what += ": " + att.Eval.Reason
					}
				}
				fmt.Fprintf(progress, "[%d/%d %s] %s attempt %d: %s\n", done, total, time.Since(start).Round(time.Second), bug.ID, a, what)
				return nil
			})
		}
	}
	if err := p.Wait(); err != nil {
		return nil, fmt.Errorf("eval stopped after %d of %d attempts: %w", done, total, err)
	}
	res.Seconds = time.Since(start).Seconds()
	res.summarise(rand.New(rand.NewPCG(o.seed, o.seed^0xb007)))
	return res, nil
}

// firstFixProb is the probability sc gives the fixes of the first choice among two or more rows in turns
// (an attempt's), and whether that choice had any.
func firstFixProb(ctx context.Context, sc native.Scorer, turns []agent.Turn) (float64, bool, error) {
	p, _, ok, err := firstFixScore(ctx, sc, turns)
	return p, ok, err
}

// firstFixScore is firstFixProb, and whether one of those fixes got the highest probability.
func firstFixScore(ctx context.Context, sc native.Scorer, turns []agent.Turn) (p float64, top, ok bool, err error) {
	d := firstDecision(turns)
	if d == nil || len(d.Fixes) == 0 {
		return 0, false, false, nil
	}
	probs, err := native.Probabilities(ctx, sc, agent.Solver, d.Rows)
	if err != nil {
		return 0, false, false, err
	}
	best := slices.Max(probs)
	for _, f := range d.Fixes {
		if f >= 0 && f < len(probs) {
			p += probs[f]
			top = top || probs[f] == best
		}
	}
	return p, top, true, nil
}

// firstDecision is the first choice among two or more rows in turns; nil when there is none.
func firstDecision(turns []agent.Turn) *agent.Decision {
	for _, t := range turns {
		if d := t.Action.Decision; d != nil && len(d.Rows) >= 2 {
			return d
		}
	}
	return nil
}

// printResult writes res for a person (table) or, with asJSON, as one indented JSON document.
func printResult(out io.Writer, asJSON bool, res any, table func(io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	table(out)
	return nil
}

// summarise computes the totals and intervals from the per-bug counts.
func (r *evalResult) summarise(rng *rand.Rand) {
	var passK, fixProbs []float64
	for _, b := range r.PerBug {
		fixProbs = append(fixProbs, b.FixProbs...)
		r.Attempts += b.Attempts
		r.Solved += b.Solved
		r.Errors += len(b.Errors)
		if b.Attempts >= r.K {
			passK = append(passK, rewards.PassAtK(b.Attempts, b.Solved, r.K))
		}
	}
	r.SuccessAt1 = rewards.Wilson(r.Solved, r.Attempts, rewards.Z95)
	r.PassAtK = rewards.BootstrapMean(passK, r.Resamples, 0.95, rng)
	r.PassAtKBugs = len(passK)
	r.FixProb = rewards.BootstrapMean(fixProbs, r.Resamples, 0.95, rng)
	r.FixChoices = len(fixProbs)
}

// table prints the result for a person.
func (r *evalResult) table(out io.Writer) {
	fmt.Fprintf(out, "policy %s (version %d) on %s (%d bugs of job %s), %d attempt(s) per bug, %.0fs\n",
		r.Policy, r.Version, r.Set, r.Bugs, r.SetJob, r.AttemptsPerBug, r.Seconds)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\testimate\t95% CI\tover")
	fmt.Fprintf(tw, "success@1\t%.3f\t[%.3f, %.3f]\t%d/%d attempts solved (Wilson)\n", r.SuccessAt1.Estimate, r.SuccessAt1.Lo, r.SuccessAt1.Hi, r.Solved, r.Attempts)
	fmt.Fprintf(tw, "pass@%d\t%.3f\t[%.3f, %.3f]\t%d bugs (bootstrap, %d resamples)\n", r.K, r.PassAtK.Estimate, r.PassAtK.Lo, r.PassAtK.Hi, r.PassAtKBugs, r.Resamples)
	fmt.Fprintf(tw, "p(fix)\t%.4f\t[%.4f, %.4f]\t%d first choices with a fix among their rows (bootstrap)\n", r.FixProb.Estimate, r.FixProb.Lo, r.FixProb.Hi, r.FixChoices)
	tw.Flush()
	if r.Errors > 0 {
		fmt.Fprintf(out, "%d attempt(s) failed outside the protocol and are left out (see --json for why)\n", r.Errors)
	}
	for _, w := range r.Warnings {
		fmt.Fprintln(out, "warning:", w)
	}
}
