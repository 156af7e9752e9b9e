package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/kernels"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/policy"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/rewards"
)

// evalResult is the part of `ssr policy eval --json` the report reads.
type evalResult struct {
	Policy         string           `json:"policy"`
	Checkpoint     string           `json:"checkpoint"`
	Version        int64            `json:"version"`
	Bugs           int              `json:"bugs"`
	AttemptsPerBug int              `json:"attempts_per_bug"`
	Attempts       int              `json:"attempts"`
	Solved         int              `json:"solved"`
	Errors         int              `json:"errors"`
	SuccessAt1     rewards.Interval `json:"success_at_1"`
	K              int              `json:"k"`
	PassAtK        rewards.Interval `json:"pass_at_k"`
	FixProb        rewards.Interval `json:"fix_prob"`
	FixChoices     int              `json:"fix_choices"`
	Seconds        float64          `json:"seconds"`
	PerBug         []struct {
		ID       string `json:"id"`
		Attempts int    `json:"attempts"`
		Solved   int    `json:"solved"`
	} `json:"per_bug"`
}

// without is success@1 over the bugs not in skip (Wilson interval).
func (e evalResult) without(skip map[string]bool) rewards.Interval {
	solved, attempts := 0, 0
	for _, b := range e.PerBug {
		if !skip[b.ID] {
			solved += b.Solved
			attempts += b.Attempts
		}
	}
	return rewards.Wilson(solved, attempts, rewards.Z95)
}

// overlap reports whether two intervals share a point.
func overlap(a, b rewards.Interval) bool { return a.Lo <= b.Hi && b.Lo <= a.Hi }

// overlapVerb says it in the report's words: "overlap" or "do not overlap".
func overlapVerb(a, b rewards.Interval) string {
	if overlap(a, b) {
		return "overlap"
	}
	return "do not overlap"
}

// window is one slice of the learning run.
type window struct {
	From, To          time.Duration // since the job's first artifact
	Artifacts, Valid  int           // first-order artifacts proposed in it, and how many were valid
	Attempts, Solved  int           // solver attempts finished in it
	Version           int64         // the newest policy version that played in it
	validShare, solve float64
}

// report is everything docs/learning.md says.
type report struct {
	Settings       settings
	SetJob         string
	LearnJob       string
	SetBugs        int
	SingleSite     int // held-out bugs whose bug diff changes one line
	SetSolveRate   float64
	SetAttempts    int
	Uniform, Final evalResult
	Windows        []window
	Versions       int64
	Trained        struct{ Episodes, Decisions, Dropped int } // summed over the published versions' rounds
	// FixProb is, per published version, the mean probability the trained policy gave the hindsight fixes
	// of its round's decisions (policy.Stats.Fixes).
	FixProb []float64
	// PriorKL is, per published version that trained injector decisions, their mean KL from the arena's
	// prior (policy.Stats.PriorKL).
	PriorKL     []float64
	LearnCounts store.Counts
	LearnStatus string
	Elapsed     time.Duration
	// Solve rates of the learning job's finished first-order bugs, in its first and second half.
	EarlyRates, LateRates []float64
	// How the learning job's first-order artifacts fared in validation, in its first and second half.
	EarlyValid, LateValid validity
	// The same, and how their bugs ended, by the curriculum stage that planned them (artifact.Metadata.Stage).
	Stages []stageUse
	// Where the learning job's first-order bugs changed the code, in its first and second half.
	EarlySites, LateSites siteSummary
	// Solve rates of the learning job's finished first-order bugs by what their injector applied (bugKinds).
	KindRates [][]float64
	// The mutation operators the learning job's injector applied, and how their bugs ended.
	Operators []operatorUse
	// How the learning job's injector chose among its rows, in its first and second half.
	EarlyChoices, LateChoices choiceSummary
	Overlap                   int // held-out bugs whose bug diff the learning job's injector made too
	// success@1 of both evaluations over the held-out bugs the learning job did not make again
	UniformUnseen, FinalUnseen rewards.Interval
	Version                    string // `ssr --version` of the ssr that ran the evaluations
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// gather reads the evals, the set and the two jobs from the database.
func gather(ctx context.Context, s settings, db string, stt state, setPath, uniformPath, finalPath string) (*report, error) {
	r := &report{Settings: s, SetJob: stt.SetJob, LearnJob: stt.LearnJob}
	for path, into := range map[string]*evalResult{uniformPath: &r.Uniform, finalPath: &r.Final} {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, into); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	var set struct {
		Bugs []struct {
			ID       string          `json:"id"`
			Repo     string          `json:"repo"`
			Artifact json.RawMessage `json:"artifact"`
		} `json:"bugs"`
	}
	raw, err := os.ReadFile(setPath)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%s: %w", setPath, err)
	}
	r.SetBugs = len(set.Bugs)
	heldout := map[string]string{} // repo + bug diff → the held-out bug's id
	for _, b := range set.Bugs {
		a, err := artifact.UnmarshalJSON("held-out bug", b.Artifact)
		if err != nil {
			return nil, err
		}
		heldout[b.Repo+"\x00"+a.BugDiff] = b.ID
		if p, err := patches.ParseBytes([]byte(a.BugDiff)); err == nil && changedLines(p) == 1 {
			r.SingleSite++
		}
	}

	st, err := store.Open(ctx, db, store.MustExist())
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if c, err := st.Counts(ctx, stt.SetJob); err == nil {
		r.SetAttempts = c.Attempts
		if c.Attempts > 0 {
			r.SetSolveRate = float64(c.Solved) / float64(c.Attempts)
		}
	}
	j, err := st.GetJob(ctx, stt.LearnJob)
	if err != nil {
		return nil, err
	}
	r.LearnStatus = string(j.Status)
	if r.LearnCounts, err = st.Counts(ctx, stt.LearnJob); err != nil {
		return nil, err
	}
	arts, err := st.ListArtifacts(ctx, stt.LearnJob)
	if err != nil {
		return nil, err
	}
	if len(arts) == 0 {
		return nil, fmt.Errorf("the learning job %s proposed no artifact", stt.LearnJob)
	}
	t0 := arts[0].Created
	const nWindows = 8
	span := max(s.Duration, time.Since(t0))
	if last := arts[len(arts)-1].Created.Sub(t0); last < span {
		span = last + time.Second
	}
	step := span / nWindows
	r.Windows = make([]window, nWindows)
	for i := range r.Windows {
		r.Windows[i].From, r.Windows[i].To = time.Duration(i)*step, time.Duration(i+1)*step
	}
	at := func(t time.Time) *window {
		i := int(t.Sub(t0) / step)
		return &r.Windows[min(max(i, 0), nWindows-1)]
	}
	half := t0.Add(span / 2)
	stages := newStageTally()
	for _, a := range arts {
		if a.Order != 1 {
			continue
		}
		v, err := st.GetValidation(ctx, a.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // cut at the wall time before its verdict
		} else if err != nil {
			return nil, err
		}
		w := at(a.Created)
		w.Artifacts++
		if v.Valid {
			w.Valid++
		}
		w.Version = max(w.Version, a.PolicyVersion)
		late, halfValid := !a.Created.Before(half), &r.EarlyValid
		if late {
			halfValid = &r.LateValid
		}
		halfValid.add(v)
		stages.artifact(stageOf(a.Parts), late, v)
	}
	bugs, err := st.ListBugs(ctx, stt.LearnJob, store.BugFilter{})
	if err != nil {
		return nil, err
	}
	remade := map[string]bool{} // held-out bug ids
	for _, b := range bugs {
		atts, err := st.Attempts(ctx, b.Bug.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range atts {
			w := at(a.Finished)
			w.Attempts++
			if a.Success {
				w.Solved++
			}
		}
		if b.Bug.Order != 1 {
			continue
		}
		if pa, err := artifact.UnmarshalJSON("bug", b.Artifact.Parts); err == nil {
			if id := heldout[b.Bug.Repo+"\x00"+pa.BugDiff]; id != "" {
				remade[id] = true // a held-out bug made again twice counts once
			}
			stages.bugStage[b.Bug.ID] = pa.Meta.Stage
		}
		if b.Bug.SolveRate == nil {
			continue
		}
		if b.Bug.Created.Before(half) {
			r.EarlyRates = append(r.EarlyRates, *b.Bug.SolveRate)
		} else {
			r.LateRates = append(r.LateRates, *b.Bug.SolveRate)
		}
	}
	sites, err := st.JobBugSites(ctx, stt.LearnJob, "", len(bugs))
	if err != nil {
		return nil, err
	}
	var early, late []store.BugSites
	for _, b := range sites {
		if b.Created.Before(half) {
			early = append(early, b)
		} else {
			late = append(late, b)
		}
	}
	r.EarlySites, r.LateSites = summariseSites(early), summariseSites(late)
	for _, b := range sites {
		stages.bug(b, !b.Created.Before(half))
	}
	r.Stages = stages.list()
	r.Operators = summariseOperators(early, late)
	r.KindRates = make([][]float64, len(bugKinds))
	for _, b := range sites {
		if k := bugKind(b.Operators); b.Done && k >= 0 {
			r.KindRates[k] = append(r.KindRates[k], b.SolveRate)
		}
	}
	if r.EarlyChoices, r.LateChoices, err = injectorChoices(ctx, st, stt.LearnJob, half); err != nil {
		return nil, err
	}
	r.Overlap = len(remade)
	r.UniformUnseen, r.FinalUnseen = r.Uniform.without(remade), r.Final.without(remade)
	for i := range r.Windows {
		w := &r.Windows[i]
		w.validShare, w.solve = ratio(w.Valid, w.Artifacts), ratio(w.Solved, w.Attempts)
	}
	if pvs, err := st.PolicyVersions(ctx); err == nil && len(pvs) > 0 {
		r.Versions = pvs[len(pvs)-1].Version
		for _, pv := range pvs {
			var rep policy.Report
			if json.Unmarshal(pv.Metrics, &rep) == nil {
				r.Trained.Episodes += rep.Episodes
				r.Trained.Decisions += rep.Decisions
				r.Trained.Dropped += rep.Dropped
				r.FixProb = append(r.FixProb, rep.Stats.Fixes)
				if rep.Stats.Pulled > 0 {
					r.PriorKL = append(r.PriorKL, rep.Stats.PriorKL)
				}
			}
		}
	}
	// The benchmark began with the held-out set's job and ended with the final evaluation, whose file keeps
	// that time when the report is made again later.
	sj, err := st.GetJob(ctx, stt.SetJob)
	if fi, ferr := os.Stat(finalPath); err == nil && ferr == nil {
		r.Elapsed = fi.ModTime().Sub(sj.Created).Round(time.Second)
	}
	if out, err := exec.CommandContext(ctx, "ssr", "--version").Output(); err == nil {
		r.Version = strings.TrimSpace(string(out))
	}
	return r, nil
}

// validity is how a set of first-order artifacts fared in validation: how many have a verdict, how many of
// those are valid, and at which validation step (store.Validation.Step) the others were rejected.
type validity struct {
	Artifacts, Valid int
	Rejected         map[string]int
}

func (v *validity) add(val store.Validation) {
	v.Artifacts++
	if val.Valid {
		v.Valid++
		return
	}
	if v.Rejected == nil {
		v.Rejected = map[string]int{}
	}
	v.Rejected[val.Step]++
}

// share is the valid share with its Wilson 95% interval.
func (v validity) share() rewards.Interval { return rewards.Wilson(v.Valid, v.Artifacts, rewards.Z95) }

// rejections lists the rejection steps, the most frequent first: "bug 3, inverse 1"; "none" when there are none.
func (v validity) rejections() string {
	steps := slices.Collect(maps.Keys(v.Rejected))
	slices.SortFunc(steps, func(a, b string) int { return cmp.Or(v.Rejected[b]-v.Rejected[a], strings.Compare(a, b)) })
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = fmt.Sprintf("%s %d", st, v.Rejected[st])
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// stageUse is how the first-order artifacts one curriculum stage planned fared in each half of the learning
// job (0 the first, 1 the second): their validity, and how their finished bugs ended (by store.Outcome).
type stageUse struct {
	Stage  string // "" for artifacts that record none (an older ssr, or a strategy other than mutation)
	Halves [2]struct {
		validity
		Ends [store.Unfinished]int
	}
}

// stageTally gathers stageUses.
type stageTally struct {
	byStage  map[string]*stageUse
	bugStage map[string]string // bug id → its artifact's stage
}

func newStageTally() *stageTally {
	return &stageTally{byStage: map[string]*stageUse{}, bugStage: map[string]string{}}
}

func (t *stageTally) use(stage string) *stageUse {
	u := t.byStage[stage]
	if u == nil {
		u = &stageUse{Stage: stage}
		t.byStage[stage] = u
	}
	return u
}

func (t *stageTally) artifact(stage string, late bool, v store.Validation) {
	t.use(stage).Halves[b2i(late)].add(v)
}

// bug counts a finished bug's end under its artifact's stage.
func (t *stageTally) bug(b store.BugSites, late bool) {
	if end := b.Outcome(); end != store.Unfinished {
		t.use(t.bugStage[b.Bug]).Halves[b2i(late)].Ends[end]++
	}
}

// list is the stages in the curriculum's order, then any other (the unrecorded among them) by name.
func (t *stageTally) list() []stageUse {
	out := make([]stageUse, 0, len(t.byStage))
	for _, u := range t.byStage {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b stageUse) int {
		return cmp.Or(cmp.Compare(stageRank(a.Stage), stageRank(b.Stage)), strings.Compare(a.Stage, b.Stage))
	})
	return out
}

// stageRank is s's place in arena's curriculum; after every stage when it is none of them.
func stageRank(s string) int {
	names := arena.StageNames()
	if i := slices.Index(names, s); i >= 0 {
		return i
	}
	return len(names)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stageOf is the curriculum stage a stored artifact's metadata records; "" when none or unreadable.
func stageOf(parts json.RawMessage) string {
	a, err := artifact.UnmarshalJSON("artifact", parts)
	if err != nil {
		return ""
	}
	return a.Meta.Stage
}

// siteSummary is where a set of first-order bugs changed the code: their sites (a site is the function, or
// module level, of one mutation) and the injector's reward for them.
type siteSummary struct {
	Bugs, Sites, Functions int
	Top                    []siteCount // the functions with the most sites, at most three
	Done                   int         // bugs evaluated to the end
	MeanReward             float64     // the injector's mean reward over them
}

type siteCount struct {
	Site  string // file:function
	Count int
}

func summariseSites(bugs []store.BugSites) siteSummary {
	s := siteSummary{Bugs: len(bugs)}
	counts := map[string]int{}
	for _, b := range bugs {
		for _, k := range b.Sites {
			counts[k]++
			s.Sites++
		}
		if b.Done {
			s.Done++
			s.MeanReward += b.Reward
		}
	}
	if s.Done > 0 {
		s.MeanReward /= float64(s.Done)
	}
	s.Functions = len(counts)
	for k, n := range counts {
		s.Top = append(s.Top, siteCount{strings.Replace(k, "\x00", ":", 1), n})
	}
	slices.SortFunc(s.Top, func(a, b siteCount) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Site, b.Site)) })
	s.Top = s.Top[:min(3, len(s.Top))]
	return s
}

// operatorUse is one mutation operator's use by the learning job's injector: how often it was applied in
// the first and the second half, and how the finished bugs it was part of ended, in each half (a bug counts
// once for each operator it applied).
type operatorUse struct {
	Operator    string
	Early, Late int                   // applications
	EarlyEnds   [store.Unfinished]int // finished bugs by store.Outcome: never, sometimes, always solved
	LateEnds    [store.Unfinished]int
}

// summariseOperators is the operators of early and late bugs, the most applied first.
func summariseOperators(early, late []store.BugSites) []operatorUse {
	byOp := map[string]*operatorUse{}
	count := func(bugs []store.BugSites, late bool) {
		for _, b := range bugs {
			seen := map[string]bool{}
			for _, op := range b.Operators {
				u := byOp[op]
				if u == nil {
					u = &operatorUse{Operator: op}
					byOp[op] = u
				}
				n, ends := &u.Early, &u.EarlyEnds
				if late {
					n, ends = &u.Late, &u.LateEnds
				}
				*n++
				if end := b.Outcome(); end != store.Unfinished && !seen[op] {
					ends[end]++
				}
				seen[op] = true
			}
		}
	}
	count(early, false)
	count(late, true)
	out := make([]operatorUse, 0, len(byOp))
	for _, u := range byOp {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b operatorUse) int {
		return cmp.Or(b.Early+b.Late-a.Early-a.Late, strings.Compare(a.Operator, b.Operator))
	})
	return out
}

// choiceSummary is how the injector chose among its rows: how many choices it made (among two rows or
// more), how far above a uniform draw's their log-probability was on average (log p + log n, in nats), and
// the operator it chose most, with how often a uniform draw over the same rows and one from the prior alone
// (softmax of Candidate.Prior, the arena's spread prior) would have chosen it.
type choiceSummary struct {
	Choices  int
	MeanGain float64
	Top      string
	TopCount int
	Uniform  float64 // expected count of Top under a uniform draw
	Prior    float64 // expected count of Top under the prior alone
}

// summariseChoices is the choiceSummary of decisions; those that are not a choice (agent.Decision.IsChoice)
// are not counted.
func summariseChoices(decs []*agent.Decision) choiceSummary {
	var s choiceSummary
	counts := map[string]int{}
	var kept []*agent.Decision
	for _, d := range decs {
		if !d.IsChoice() {
			continue
		}
		kept = append(kept, d)
		s.MeanGain += d.LogProb + math.Log(float64(len(d.Rows)))
		counts[d.Rows[d.Chosen].Operator]++
	}
	if s.Choices = len(kept); s.Choices == 0 {
		return s
	}
	s.MeanGain /= float64(s.Choices)
	for op, n := range counts {
		if n > s.TopCount || n == s.TopCount && op < s.Top {
			s.Top, s.TopCount = op, n
		}
	}
	for _, d := range kept {
		prior := make([]float64, len(d.Rows))
		for i, c := range d.Rows {
			prior[i] = c.Prior
		}
		logq := make([]float64, len(d.Rows))
		kernels.CPU{}.LogSoftmaxRagged(logq, prior, nil, []int{0, len(d.Rows)})
		for i, c := range d.Rows {
			if c.Operator == s.Top {
				s.Uniform += 1 / float64(len(d.Rows))
				s.Prior += math.Exp(logq[i])
			}
		}
	}
	return s
}

// injectorChoices reads the decisions of the job's injector episodes and summarises those of the episodes
// that started before half and of the rest.
func injectorChoices(ctx context.Context, st *store.Store, job string, half time.Time) (early, late choiceSummary, err error) {
	eps, err := st.ListEpisodes(ctx, job, store.EpisodeFilter{Role: store.RoleInjector})
	if err != nil {
		return early, late, err
	}
	var e, l []*agent.Decision
	for _, ep := range eps {
		raw, err := st.EpisodeTurns(ctx, ep.ID)
		if err != nil {
			return early, late, err
		}
		var turns []agent.Turn
		if err := json.Unmarshal(raw, &turns); err != nil {
			return early, late, fmt.Errorf("turns of injector episode %s: %w", ep.ID, err)
		}
		for _, tn := range turns {
			if ep.Started.Before(half) {
				e = append(e, tn.Action.Decision)
			} else {
				l = append(l, tn.Action.Decision)
			}
		}
	}
	return summariseChoices(e), summariseChoices(l), nil
}

// bugKinds name what a first-order bug's injector applied, by bugKind: whether one solver edit undoes each
// application, and how many there were.
var bugKinds = []string{"one mutation, undone by one edit", "2 or more mutations, each undone by one edit", "a mutation no one edit undoes"}

// bugKind is the index in bugKinds of a bug whose injector applied ops; -1 for none (an agent that writes code).
func bugKind(ops []string) int {
	switch {
	case len(ops) == 0:
		return -1
	case slices.ContainsFunc(ops, func(op string) bool { return !slices.Contains(plugin.InvertibleOperators, op) }):
		return 2
	case len(ops) == 1:
		return 0
	}
	return 1
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// changedLines counts the lines a patch removes.
func changedLines(p *patches.Patch) int {
	n := 0
	for _, f := range p.Files {
		for _, h := range f.Hunks {
			for _, l := range h.Lines {
				if l.Kind == patches.Delete {
					n++
				}
			}
		}
	}
	return n
}

// histogram counts rates in the bins 0, (0, .25], (.25, .5], (.5, .75], (.75, 1), 1.
func histogram(rates []float64) []int {
	out := make([]int, len(rateBins))
	for _, r := range rates {
		switch {
		case r <= 0:
			out[0]++
		case r >= 1:
			out[5]++
		default:
			out[min(4, 1+int((r-1e-9)*4))]++
		}
	}
	return out
}

// histogramCells is histogram(rates) as a Markdown table row's cells.
func histogramCells(rates []float64) string {
	h := histogram(rates)
	cells := make([]string, len(h))
	for i, n := range h {
		cells[i] = fmt.Sprint(n)
	}
	return strings.Join(cells, " | ")
}

// middleShare is how many of the finished bugs' solve rates are strictly between 0 and 1 (store's rule), and
// that share with its Wilson 95% interval: issue 12's injector criterion, half against half.
func middleShare(rates []float64) (int, rewards.Interval) {
	n := 0
	for _, r := range rates {
		if (store.BugSites{Done: true, SolveRate: r}).Outcome() == store.SolvedSometimes {
			n++
		}
	}
	return n, rewards.Wilson(n, len(rates), rewards.Z95)
}

var rateBins = []string{"0", "(0, .25]", "(.25, .5]", "(.5, .75]", "(.75, 1)", "1"}

// write puts the report into docs/learning.md and its plot into docs/learning.png.
func (r *report) write(s settings) error {
	if err := os.MkdirAll(s.Docs, 0o755); err != nil {
		return err
	}
	if err := r.plot(filepath.Join(s.Docs, "learning.png")); err != nil {
		return err
	}
	md := filepath.Join(s.Docs, "learning.md")
	if err := os.WriteFile(md, []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %s\n", md, filepath.Join(s.Docs, "learning.png"))
	return nil
}

func (r *report) markdown() string {
	var b strings.Builder
	s := r.Settings
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	ev := func(e evalResult) string {
		return fmt.Sprintf("| %s (version %d) | %d/%d | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] | %.4f [%.4f, %.4f] (%d) | %d | %.0f s |",
			e.Policy, e.Version, e.Solved, e.Attempts, e.SuccessAt1.Estimate, e.SuccessAt1.Lo, e.SuccessAt1.Hi,
			e.PassAtK.Estimate, e.PassAtK.Lo, e.PassAtK.Hi, e.FixProb.Estimate, e.FixProb.Lo, e.FixProb.Hi, e.FixChoices, e.Errors, e.Seconds)
	}
	p("# Does the shared policy learn? (`make learn`)\n\n")
	p("Generated by `cmd/ssr-learn` on %s; do not edit by hand.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("    LEARN_DURATION=%s LEARN_BUGS=%d LEARN_ATTEMPTS=%d LEARN_K=%d LEARN_CONTAINERS=%d LEARN_EXAMPLES=%s make learn\n\n",
		s.Duration, s.Bugs, s.Attempts, s.K, s.Containers, s.Examples)
	p("Whole benchmark: %s of wall time on this machine (2 cores shared with other work); %s.\n\n", r.Elapsed, r.Version)
	p("## Held-out set\n\n")
	p("%d first-order bugs frozen from job `%s`, made by the native injector with mutation only (examples %s, one\n", r.SetBugs, r.SetJob, s.Examples)
	p("attempt per bug, its curriculum held at the first stage by `arena.curriculum: single`: one site, invertible\n")
	p("operators). That job's solver solved %.0f%% of its %d attempts; %d of the %d bugs change exactly one line.\n\n",
		100*r.SetSolveRate, r.SetAttempts, r.SingleSite, r.SetBugs)
	p("## Solver on the held-out set\n\n")
	p("`ssr policy eval` with %d attempt(s) per bug. success@1: Wilson 95%% interval over attempts; pass@%d: unbiased\n", s.Attempts, s.K)
	p("estimator, percentile bootstrap over bugs (95%%). p(fix): the probability the policy gave, at an attempt's first\n")
	p("choice, the edits that would have fixed the bug (found in hindsight), over the attempts whose first choice had one\n")
	p("among its rows (their number in brackets), with a percentile bootstrap interval: how the policy ranks the fix\n")
	p("itself, apart from the luck of the hill climb that follows.\n\n")
	p("| policy | solved | success@1 [95%% CI] | pass@%d [95%% CI] | p(fix) [95%% CI] (attempts) | errors | eval time |\n| --- | --- | --- | --- | --- | --- | --- |\n", s.K)
	p("%s\n%s\n\n", ev(r.Uniform), ev(r.Final))
	d := r.Final.SuccessAt1.Estimate - r.Uniform.SuccessAt1.Estimate
	overlapCI := overlap(r.Final.SuccessAt1, r.Uniform.SuccessAt1)
	verdict := "the intervals do not overlap"
	if overlapCI {
		verdict = "the intervals overlap: this run does not show a difference"
	}
	p("Difference in success@1: %+.3f; %s.\n", d, verdict)
	p("p(fix) went from %.4f to %.4f (%.1f×); the intervals %s.\n\n", r.Uniform.FixProb.Estimate, r.Final.FixProb.Estimate,
		r.Final.FixProb.Estimate/max(r.Uniform.FixProb.Estimate, 1e-12), overlapVerb(r.Final.FixProb, r.Uniform.FixProb))
	p("## Self-play run\n\n")
	c := r.LearnCounts
	p("Job `%s` (`ssr run --train`, mutation only, 4 attempts per bug, order-2 share 0.25), %s of wall time, ended %s:\n", r.LearnJob, s.Duration, r.LearnStatus)
	p("%d artifacts proposed, %d valid, %d bugs (%d order-2), %d attempts, %d solved; %d policy versions published,\n", c.Artifacts, c.Valid, c.Bugs, c.Order2, c.Attempts, c.Solved, r.Versions)
	p("trained on %d episodes (%d decisions; %d stale episodes dropped). A solver episode teaches through its reward when\n", r.Trained.Episodes, r.Trained.Decisions, r.Trained.Dropped)
	p("its group's rewards differ, and through hindsight whenever the rows of one of its choices held an edit that would\n")
	p("have fixed the bug (the arena made the bug, so it knows; see docs/policy.md).\n")
	if n := len(r.FixProb); n > 0 {
		k := min(5, n)
		p("The mean probability the policy gave those fixes, over the decisions each round trained on: %.4f in the first\n", mean(r.FixProb[:k]))
		p("%d versions, %.4f in the last %d.\n", k, mean(r.FixProb[n-k:]), k)
	}
	if n := len(r.PriorKL); n > 0 {
		k := min(5, n)
		p("The injector's KL from the arena's spread prior (docs/policy.md, Trainer), over the injector decisions each\n")
		p("round trained on: %.3f in the first %d versions that trained some, %.3f in the last %d.\n", mean(r.PriorKL[:k]), k, mean(r.PriorKL[n-k:]), k)
	}
	p("%d of the held-out bugs were made again by this job's injector (same repository, same bug diff): the mutation\n", r.Overlap)
	p("space of two small examples is small, so \"held out\" means held out from training as instances, not as kinds.\n")
	if r.Overlap > 0 {
		p("On the %d held-out bugs it did not make, success@1 went from %.3f [%.3f, %.3f] (uniform) to %.3f [%.3f, %.3f].\n",
			r.SetBugs-r.Overlap, r.UniformUnseen.Estimate, r.UniformUnseen.Lo, r.UniformUnseen.Hi, r.FinalUnseen.Estimate, r.FinalUnseen.Lo, r.FinalUnseen.Hi)
	}
	p("\n")
	p("| window | first-order artifacts | valid share | solver attempts | solve rate | newest version acting |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, w := range r.Windows {
		p("| %s–%s | %d | %.2f | %d | %.2f | %d |\n", w.From.Round(time.Second), w.To.Round(time.Second), w.Artifacts, w.validShare, w.Attempts, w.solve, w.Version)
	}
	e, l := r.EarlyValid.share(), r.LateValid.share()
	p("\nValid share of the first-order artifacts by half (Wilson 95%% interval): first %d/%d, %.2f [%.2f, %.2f];\n",
		r.EarlyValid.Valid, r.EarlyValid.Artifacts, e.Estimate, e.Lo, e.Hi)
	p("second %d/%d, %.2f [%.2f, %.2f]; the intervals %s. Rejected, by the validation step that rejected them\n",
		r.LateValid.Valid, r.LateValid.Artifacts, l.Estimate, l.Lo, l.Hi, overlapVerb(e, l))
	p("(docs/design.md): first half %s; second half %s.\n", r.EarlyValid.rejections(), r.LateValid.rejections())
	p("\nBy the curriculum stage that planned them (arena's curriculum; some plans keep the first stage whatever the\n")
	p("job's stage): first-order artifacts, valid ones, and their finished bugs never / sometimes / always solved:\n\n")
	p("| stage | first half: artifacts, valid | bugs' ends | second half: artifacts, valid | bugs' ends |\n| --- | --- | --- | --- | --- |\n")
	for _, u := range r.Stages {
		name := "`" + u.Stage + "`"
		if u.Stage == "" {
			name = "not recorded"
		}
		e, l := u.Halves[0], u.Halves[1]
		p("| %s | %d, %d | %d / %d / %d | %d, %d | %d / %d / %d |\n", name, e.Artifacts, e.Valid, e.Ends[0], e.Ends[1], e.Ends[2],
			l.Artifacts, l.Valid, l.Ends[0], l.Ends[1], l.Ends[2])
	}
	p("\nSolve rates of the injector's finished first-order bugs (the share of their attempts that succeeded):\n\n")
	p("| solve rate | %s |\n| --- |%s\n", strings.Join(rateBins, " | "), strings.Repeat(" --- |", len(rateBins)))
	for _, row := range []struct {
		name  string
		rates []float64
	}{{"first half", r.EarlyRates}, {"second half", r.LateRates}} {
		p("| %s (%d bugs) | %s |\n", row.name, len(row.rates), histogramCells(row.rates))
	}
	em, ei := middleShare(r.EarlyRates)
	lm, li := middleShare(r.LateRates)
	p("\nSolved sometimes (strictly between 0 and 1; Wilson 95%% interval): first half %d/%d, %.2f [%.2f, %.2f]; second\n",
		em, len(r.EarlyRates), ei.Estimate, ei.Lo, ei.Hi)
	p("half %d/%d, %.2f [%.2f, %.2f]; the intervals %s.\n", lm, len(r.LateRates), li.Estimate, li.Lo, li.Hi, overlapVerb(ei, li))
	p("\nThe same over the whole run, by what the injector applied (a mutation no one edit undoes, such as\n")
	p("remove_statement, leaves the native solver nothing to choose: docs/policy.md):\n\n")
	p("| what the bug applied | %s |\n| --- |%s\n", strings.Join(rateBins, " | "), strings.Repeat(" --- |", len(rateBins)))
	for k, rates := range r.KindRates {
		p("| %s (%d bugs) | %s |\n", bugKinds[k], len(rates), histogramCells(rates))
	}
	p("\nThe mutation operators the injector applied (a bug with several counts once per operator in the outcome\n")
	p("columns: its finished bugs never, sometimes and always solved):\n\n")
	p("| operator | applied, first half | its bugs' ends | applied, second half | its bugs' ends |\n| --- | --- | --- | --- | --- |\n")
	for _, u := range r.Operators {
		p("| `%s` | %d | %d / %d / %d | %d | %d / %d / %d |\n", u.Operator, u.Early, u.EarlyEnds[0], u.EarlyEnds[1], u.EarlyEnds[2],
			u.Late, u.LateEnds[0], u.LateEnds[1], u.LateEnds[2])
	}
	p("\nHow the injector chose among its rows (a site and an operator each), by half: its choices, the mean of log p +\n")
	p("log n over them (nats above a uniform draw among the same n rows), and the operator it chose most, against\n")
	p("the count a uniform draw and a draw from the spread prior alone would have given it:\n\n")
	p("| half | choices | log p + log n | most chosen | chosen | uniform | prior alone |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for i, c := range []choiceSummary{r.EarlyChoices, r.LateChoices} {
		p("| %s | %d | %.2f | `%s` | %d | %.1f | %.1f |\n", []string{"first", "second"}[i], c.Choices, c.MeanGain, c.Top, c.TopCount, c.Uniform, c.Prior)
	}
	p("\nWhere the injector's first-order bugs changed the code (a site: the function, or module level, of one applied\n")
	p("mutation; docs/design.md, \"Spread\"), and the injector's mean reward over those evaluated to the end:\n\n")
	p("| half | bugs | sites | functions | the three with the most sites | mean injector reward (bugs) |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, row := range []struct {
		name string
		s    siteSummary
	}{{"first", r.EarlySites}, {"second", r.LateSites}} {
		var top []string
		n := 0
		for _, t := range row.s.Top {
			top = append(top, fmt.Sprintf("`%s` %d", t.Site, t.Count))
			n += t.Count
		}
		p("| %s | %d | %d | %d | %s (%d of %d) | %+.3f (%d) |\n", row.name, row.s.Bugs, row.s.Sites, row.s.Functions,
			strings.Join(top, ", "), n, row.s.Sites, row.s.MeanReward, row.s.Done)
	}
	p("\n![learning](learning.png)\n")
	return b.String()
}
