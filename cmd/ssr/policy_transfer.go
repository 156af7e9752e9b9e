package main

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/policy"
	"github.com/selfplay-swe/ssr/rewards"
)

// transferOptions are `ssr policy transfer`'s settings.
type transferOptions struct {
	folds     int
	by        string
	on        string // score this job's first choices with a policy trained on all of JOB, instead of folds
	resamples int
	json      bool
	mc        policy.Config
	tc        policy.TrainConfig
}

// Units a bug's fold can be decided by, from the finest to the coarsest.
var transferUnits = []string{"bug", "site", "function", "file"}

func init() {
	var dbPath string
	o := transferOptions{folds: 5, by: "function", resamples: 2000, mc: policy.DefaultConfig, tc: policy.DefaultTrainConfig}
	cmd := &cobra.Command{
		Use:   "transfer JOB",
		Short: "Measure offline, from a job's recorded decisions, how well training carries over to bugs it never saw",
		Long: `Split JOB's solver groups (a bug's attempts) into --folds folds, every bug whose fix lies in the same
--by unit (bug, site, function or file) in one fold. For each fold, train a new policy with the trainer's
settings on every other fold (and on the injector's episodes), exactly as 'ssr train' would on them, then score
the held-out fold's recorded choices: p(fix) is the probability the policy gives, at an attempt's first choice,
the edits the arena found in hindsight would have fixed the bug (as 'ssr policy eval' reports it), beside the
probability version 0 gave the same rows. It runs no container and takes seconds to minutes: a quick check of
trainer settings and features before a live 'make learn'. A job played by a trained policy works too: its
stored rows are scored again, whatever policy chose among them.

With --on OTHER, there are no folds: one policy is trained on all of JOB and scores OTHER's recorded first
choices (a job on the same repositories, such as the one a frozen set came from). That measures offline what
'ssr policy eval' measures on the set, in seconds: the first choice's rows depend on the bug, not on the policy
that played it.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.folds < 2 && o.on == "" {
				return usageError{fmt.Errorf("--folds %d: give at least 2 folds", o.folds)}
			}
			if o.on == args[0] {
				return usageError{fmt.Errorf("--on %s: that is JOB itself, whose bugs the policy trains on; give another job, or drop --on to hold bugs out by folds", o.on)}
			}
			if !slices.Contains(transferUnits, o.by) {
				return usageError{fmt.Errorf("--by %q: give one of %v", o.by, transferUnits)}
			}
			if err := o.mc.Validate(); err != nil {
				return usageError{err}
			}
			if err := o.tc.Validate(); err != nil {
				return usageError{err}
			}
			st, err := openDB(cmd.Context(), dbPath)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := transfer(cmd.Context(), cmd.ErrOrStderr(), st, args[0], o)
			if err != nil {
				return err
			}
			return printResult(cmd.OutOrStdout(), o.json, res, res.table)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	f.IntVar(&o.folds, "folds", o.folds, "how many folds the bugs are split into")
	f.StringVar(&o.on, "on", "", "score this job's first choices with one policy trained on all of JOB (no folds)")
	f.StringVar(&o.by, "by", o.by, "what keeps bugs together in one fold: bug, site (file and line of the fix), function or file")
	f.IntVar(&o.resamples, "resamples", o.resamples, "bootstrap resamples of the intervals")
	f.BoolVar(&o.json, "json", false, "print one JSON document instead of the table")
	f.Uint64Var(&o.tc.Seed, "seed", o.tc.Seed, "seed of the initial weights and of minibatch order")
	f.Float64Var(&o.tc.LR, "lr", o.tc.LR, "Adam learning rate")
	f.Float64Var(&o.tc.WeightDecay, "weight-decay", o.tc.WeightDecay, "Adam's decoupled weight decay")
	f.Float64Var(&o.tc.Entropy, "entropy", o.tc.Entropy, "entropy bonus β")
	f.Float64Var(&o.tc.Hindsight, "hindsight", o.tc.Hindsight, "weight of the supervised term on the solver's fixes found in hindsight (0: rewards alone)")
	f.IntVar(&o.tc.Epochs, "epochs", o.tc.Epochs, "passes over the training folds' decisions")
	f.IntVar(&o.mc.Hidden, "hidden", o.mc.Hidden, "hidden units of the model")
	policyCmd.AddCommand(cmd)
}

// transferResult is what `ssr policy transfer` measured.
type transferResult struct {
	Job       string             `json:"job"`
	On        string             `json:"on,omitempty"` // the job whose first choices were scored, when not JOB's folds
	By        string             `json:"by"`
	Folds     int                `json:"folds"`
	Train     policy.TrainConfig `json:"train"`
	Model     policy.Config      `json:"model"`
	Groups    int                `json:"groups"`    // solver groups of the job
	Units     int                `json:"units"`     // distinct --by units among them
	Attempts  int                `json:"attempts"`  // held-out attempts whose first choice had a fix
	Uniform   rewards.Interval   `json:"uniform"`   // version 0's mean p(fix) over them
	Trained   rewards.Interval   `json:"trained"`   // the fold's trained policy's
	Gain      rewards.Interval   `json:"gain"`      // the paired difference, trained − uniform
	Better    int                `json:"better"`    // attempts where the trained policy gave the fix more
	Top1      [2]int             `json:"top1"`      // attempts where a fix had the highest probability: uniform, trained
	PerFold   []transferFold     `json:"per_fold"`  // in fold order
	Seconds   float64            `json:"seconds"`   // the whole measurement
	Resamples int                `json:"resamples"` // of the bootstrap intervals
	Schema    policy.Schema      `json:"schema"`    // the feature schema the rows were scored with
	Version   int64              `json:"version"`   // each fold's trained version (they train the same rounds)
	Skipped   int                `json:"skipped"`   // held-out attempts whose first choice had no fix among its rows
	Pairs     [][2]float64       `json:"pairs,omitempty"`
}

// transferFold is one fold's share.
type transferFold struct {
	Units     int     `json:"units"`
	Groups    int     `json:"groups"`
	Attempts  int     `json:"attempts"`
	Decisions int     `json:"decisions"` // decisions the fold's policy trained on
	Uniform   float64 `json:"uniform"`
	Trained   float64 `json:"trained"`
}

// transfer trains one policy per fold on the other folds and scores the fold's first choices.
func transfer(ctx context.Context, progress io.Writer, st *store.Store, job string, o transferOptions) (*transferResult, error) {
	start := time.Now()
	if _, err := st.GetJob(ctx, job); err != nil {
		return nil, err
	}
	src := &cachedSource{src: storeSource{st: st, job: job}, turns: map[string][]agent.Turn{}}
	groups, err := src.Groups(ctx)
	if err != nil {
		return nil, err
	}
	res := &transferResult{Job: job, On: o.on, By: o.by, Folds: o.folds, Train: o.tc, Model: o.mc, Resamples: o.resamples,
		Schema: policy.CurrentSchema}
	// target holds the solver groups whose first choices are scored: JOB's own, fold by fold, or all of --on's
	// with one policy trained on the whole of JOB.
	target, scored := src, groups
	if o.on != "" {
		if _, err := st.GetJob(ctx, o.on); err != nil {
			return nil, err
		}
		target = &cachedSource{src: storeSource{st: st, job: o.on}, turns: map[string][]agent.Turn{}}
		if scored, err = target.Groups(ctx); err != nil {
			return nil, err
		}
		res.Folds = 1
	}
	res.PerFold = make([]transferFold, res.Folds)
	fold := map[string]int{} // solver group key → fold
	units := map[string]bool{}
	for _, g := range scored {
		if g.Role != agent.Solver {
			continue
		}
		unit, err := target.unit(ctx, g, o.by)
		if err != nil {
			return nil, err
		}
		k := foldOf(unit, res.Folds)
		fold[g.Key] = k
		res.Groups++
		res.PerFold[k].Groups++
		if !units[unit] {
			units[unit] = true
			res.PerFold[k].Units++
		}
	}
	res.Units = len(units)
	if res.Groups == 0 {
		return nil, fmt.Errorf("transfer: job %s has no rewarded solver attempts yet: run it longer, or pick a job with solver episodes", cmp.Or(o.on, job))
	}
	var uni, trained, gain []float64
	for k := range res.Folds {
		m, err := policy.New(o.mc, o.tc.Seed)
		if err != nil {
			return nil, err
		}
		tr, err := policy.NewTrainer(m, o.tc)
		if err != nil {
			return nil, err
		}
		var train policy.Source = foldSource{src: src, fold: fold, out: k}
		if o.on != "" {
			train = src
		}
		rep, err := tr.Round(ctx, train)
		if err != nil {
			return nil, fmt.Errorf("transfer: fold %d: %w", k+1, err)
		}
		res.Version = tr.Version()
		pf := &res.PerFold[k]
		pf.Decisions = rep.Decisions
		var fu, ft float64
		for _, g := range scored {
			if g.Role != agent.Solver || fold[g.Key] != k {
				continue
			}
			for _, mem := range g.Members {
				turns, err := target.Turns(ctx, mem.Episode)
				if err != nil {
					return nil, err
				}
				var ps [2]float64
				held := true
				for i, sc := range []native.Scorer{native.Uniform{}, tr.Model()} {
					p, top, ok, err := firstFixScore(ctx, sc, turns)
					if err != nil {
						return nil, err
					}
					held = ok
					ps[i] = p
					if top {
						res.Top1[i]++
					}
				}
				if !held {
					res.Skipped++
					continue
				}
				pu, pt := ps[0], ps[1]
				uni, trained, gain = append(uni, pu), append(trained, pt), append(gain, pt-pu)
				res.Pairs = append(res.Pairs, ps)
				if pt > pu {
					res.Better++
				}
				pf.Attempts++
				fu += pu
				ft += pt
			}
		}
		if pf.Attempts > 0 {
			pf.Uniform, pf.Trained = fu/float64(pf.Attempts), ft/float64(pf.Attempts)
		}
		fmt.Fprintf(progress, "fold %d of %d: trained on %d decisions, %d held-out attempts, p(fix) %.4f → %.4f\n",
			k+1, res.Folds, rep.Decisions, pf.Attempts, pf.Uniform, pf.Trained)
	}
	res.Attempts = len(gain)
	rng := rand.New(rand.NewPCG(o.tc.Seed, o.tc.Seed^0x7a5f))
	res.Uniform = rewards.BootstrapMean(uni, o.resamples, 0.95, rng)
	res.Trained = rewards.BootstrapMean(trained, o.resamples, 0.95, rng)
	res.Gain = rewards.BootstrapMean(gain, o.resamples, 0.95, rng)
	res.Seconds = time.Since(start).Seconds()
	if !o.json {
		res.Pairs = nil
	}
	return res, nil
}

// foldOf is the fold a unit falls in: a hash, so that a unit's fold does not depend on which others exist.
func foldOf(unit string, folds int) int {
	h := fnv.New64a()
	h.Write([]byte(unit))
	return int(h.Sum64() % uint64(folds))
}

// table prints the result for a person.
func (r *transferResult) table(out io.Writer) {
	if r.On != "" {
		fmt.Fprintf(out, "trained on all of job %s; scored job %s: %d solver groups, %d distinct by %s; %d attempts with a fix at their first choice (%d without), %.0fs\n",
			r.Job, r.On, r.Groups, r.Units, r.By, r.Attempts, r.Skipped, r.Seconds)
	} else {
		fmt.Fprintf(out, "job %s: %d solver groups, %d distinct by %s, %d folds; %d held-out attempts with a fix at their first choice (%d without), %.0fs\n",
			r.Job, r.Groups, r.Units, r.By, r.Folds, r.Attempts, r.Skipped, r.Seconds)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fold\tunits\tgroups\ttrained on (decisions)\theld-out attempts\tp(fix) uniform\tp(fix) trained")
	for i, f := range r.PerFold {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%.4f\t%.4f\n", i+1, f.Units, f.Groups, f.Decisions, f.Attempts, f.Uniform, f.Trained)
	}
	tw.Flush()
	fmt.Fprintf(out, "p(fix), mean over held-out attempts [95%% bootstrap CI]: uniform %.4f [%.4f, %.4f], trained %.4f [%.4f, %.4f]\n",
		r.Uniform.Estimate, r.Uniform.Lo, r.Uniform.Hi, r.Trained.Estimate, r.Trained.Lo, r.Trained.Hi)
	fmt.Fprintf(out, "paired gain %+.4f [%+.4f, %+.4f]; the trained policy gave the fix more on %d of %d; a fix ranked first: uniform %d, trained %d\n",
		r.Gain.Estimate, r.Gain.Lo, r.Gain.Hi, r.Better, r.Attempts, r.Top1[0], r.Top1[1])
}

// cachedSource reads each episode's turns once: every fold reads them all again.
type cachedSource struct {
	src   policy.Source
	turns map[string][]agent.Turn
}

func (s *cachedSource) Groups(ctx context.Context) ([]policy.Group, error) { return s.src.Groups(ctx) }

func (s *cachedSource) Turns(ctx context.Context, episode string) ([]agent.Turn, error) {
	if t, ok := s.turns[episode]; ok {
		return t, nil
	}
	t, err := s.src.Turns(ctx, episode)
	if err != nil {
		return nil, err
	}
	s.turns[episode] = t
	return t, nil
}

// unit is what keeps g's bug with others in one fold: the group itself, or the site, function or file of the
// first fix the arena found for any of its attempts. A bug with no fix anywhere (a removal, a history bug) is
// its own unit.
func (s *cachedSource) unit(ctx context.Context, g policy.Group, by string) (string, error) {
	if by == "bug" {
		return "bug " + g.Key, nil
	}
	for _, m := range g.Members {
		turns, err := s.Turns(ctx, m.Episode)
		if err != nil {
			return "", err
		}
		for _, t := range turns {
			d := t.Action.Decision
			if d == nil || len(d.Fixes) == 0 || d.Fixes[0] < 0 || d.Fixes[0] >= len(d.Rows) {
				continue
			}
			c := d.Rows[d.Fixes[0]]
			switch by {
			case "site":
				return fmt.Sprintf("site %s:%d", c.File, c.Line), nil
			case "function":
				return "function " + c.File + ":" + c.Function, nil
			default:
				return "file " + c.File, nil
			}
		}
	}
	return "bug " + g.Key, nil
}

// foldSource is the training side of one fold: every group but the held-out fold's solver groups.
type foldSource struct {
	src  policy.Source
	fold map[string]int
	out  int
}

func (s foldSource) Groups(ctx context.Context) ([]policy.Group, error) {
	gs, err := s.src.Groups(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(gs, func(g policy.Group) bool {
		k, ok := s.fold[g.Key]
		return g.Role == agent.Solver && ok && k == s.out
	}), nil
}

func (s foldSource) Turns(ctx context.Context, episode string) ([]agent.Turn, error) {
	return s.src.Turns(ctx, episode)
}
