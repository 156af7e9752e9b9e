package arena

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/rewards"
)

// Limits end a job: whichever is reached first. Zero means no limit of that kind (a job needs at least one).
type Limits struct {
	Bugs     int           `yaml:"bugs" json:"bugs"`         // validated bugs (order 1 and 2)
	Attempts int           `yaml:"attempts" json:"attempts"` // evaluated attempts
	Proposed int           `yaml:"proposed" json:"proposed"` // artifacts proposed
	WallTime time.Duration `yaml:"wall_time" json:"wall_time"`
}

// Runner drives one job: injector episodes, validation, solver attempts, evaluation, rewards and order-2
// bugs, recording each finished unit of work in the store in one transaction. Run it again with the same
// job id to resume: what is left is derived from the store.
type Runner struct {
	Arena      *Arena
	Store      *store.Store
	Repos      []*Repo
	Agent      agent.Agent        // plays both roles
	Seed       uint64             // seeds the job's own draws (strategy, sites, order-2 work); the job config's seed
	Strategies map[string]float64 // injector strategy → share
	Limits     Limits
	Progress   io.Writer  // one line per finished unit; nil for none
	Containers func() int // sandboxes running now, for progress lines (the provider's budget in use); nil: unknown
	Observer   Observer   // told of episodes, verdicts and test runs as they happen (live metrics); nil for none

	inUse   atomic.Int64   // sandboxes running units now (progress only)
	logged  sync.Map       // *TestRun → log id: cached original runs are stored once and referenced after
	tries   map[string]int // leftover unit → tries in this run
	started time.Time
	turns   map[string]int // repo → injector episodes in the job (turns.go)
	gen     *jobGen
}

// maxFailuresInARow stops a job whose units of work keep failing for reasons outside the protocol (the
// engine is gone, the store is full): one failure is recorded and the job goes on; this many in a row is a
// broken setup, not bad luck.
const maxFailuresInARow = 5

// maxTries is how often one leftover unit (an artifact to validate, a bug's missing attempts) is retried in
// one run of the job before it is left for a later --resume.
const maxTries = 2

// Run works until a limit is reached or ctx ends (a clean stop: nothing half-recorded). A unit of work that
// fails outside the protocol (a plugin crash, an engine error) is recorded in the store and the job goes on.
// limits.wall_time is a deadline on ctx (turns.go): Run returns ErrWallTime when it cut work that is still
// open, for --resume to finish.
func (r *Runner) Run(parent context.Context) error {
	r.started = time.Now()
	ctx := parent
	if r.Limits.WallTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(parent, r.started.Add(r.Limits.WallTime), errWallTimeCause)
		defer cancel()
	}
	defer r.Arena.Wait() // every sandbox is gone when Run returns
	r.tries = map[string]int{}
	r.gen = newJobGen(r.Seed)
	r.observe(func(o Observer) { o.PolicyVersion(r.Agent.PolicyVersion()) })
	if len(r.Repos) == 0 {
		return errors.New("job has no repositories: add some to the job config")
	}
	if r.Agent == nil {
		return errors.New("job has no agent: set Runner.Agent")
	}
	for _, repo := range r.Repos {
		for _, w := range repo.Warnings {
			r.Arena.log.Warn(w, "repo", repo.Name)
			if r.Progress != nil {
				fmt.Fprintf(r.Progress, "%s: warning: %s\n", repo.Name, w)
			}
		}
	}
	if r.Limits == (Limits{}) {
		return errors.New("job has no limits: set limits.bugs, limits.attempts, limits.proposed or limits.wall_time")
	}
	if err := r.loadTurns(ctx); err != nil {
		return err
	}
	failures := 0
	for {
		if ctx.Err() != nil {
			return r.wallTimeEnd(parent, ctx)
		}
		done, err := r.limitReached(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return r.wallTimeEnd(parent, ctx)
			}
			return err
		}
		var unit string
		if done {
			// Limits count finished work: open work (an artifact without a verdict, a bug missing attempts
			// or its injector reward) is finished before the job ends, so that a job stopped just after
			// reaching its limit resumes and finishes it instead of leaving it open forever.
			var did bool
			if unit, did, err = r.leftover(ctx); !did && err == nil {
				return nil
			}
		} else {
			unit, err = r.step(ctx)
		}
		switch {
		case err == nil:
			failures = 0
		case ctx.Err() != nil:
			return r.wallTimeEnd(parent, ctx)
		default:
			failures++
			if rerr := r.Store.RecordFailure(context.WithoutCancel(ctx), store.Failure{Job: r.job(), Unit: unit, Error: err.Error()}); rerr != nil {
				return fmt.Errorf("%s failed (%v), and recording that failed too: %w", unit, err, rerr)
			}
			r.progress(ctx, fmt.Sprintf("%s failed, recorded, going on: %v", unit, err))
			if failures >= maxFailuresInARow {
				return fmt.Errorf("%d units of work failed in a row; the last, %s: %w", failures, unit, err)
			}
		}
	}
}

func (r *Runner) job() string { return r.Arena.job }

// leftover does one unit of work that a previous run of the job (or an earlier failure in this one) left:
// a proposed artifact without a verdict, a bug missing attempts, a bug with every attempt but no injector
// reward. It reports whether it found one.
func (r *Runner) leftover(ctx context.Context) (unit string, did bool, err error) {
	pending, err := r.Store.PendingArtifacts(ctx, r.job())
	if err != nil {
		return "pending artifacts", false, err
	}
	for _, sa := range pending {
		repo := r.repo(sa.Repo)
		if repo == nil || !r.try(sa.ID) {
			continue
		}
		unit = "validation of " + sa.ID
		if sa.Order == 2 {
			return unit, true, r.validateOrder2(ctx, repo, sa)
		}
		art, err := artifact.UnmarshalJSON("artifact "+sa.ID, sa.Parts)
		if err != nil {
			return unit, true, err
		}
		bugID, err := r.validate(ctx, repo, sa.ID, art, nil)
		if err != nil || bugID == "" {
			return unit, true, err
		}
		bug, err := r.Store.GetBug(ctx, bugID)
		if err != nil {
			return unit, true, err
		}
		return unit, true, r.solveBug(ctx, bug, allAttempts(r.Arena.cfg.NAttempts))
	}
	needs, err := r.Store.BugsNeedingAttempts(ctx, r.job(), r.Arena.cfg.NAttempts)
	if err != nil {
		return "bugs needing attempts", false, err
	}
	for _, need := range needs {
		if r.repo(need.Bug.Repo) == nil || !r.try(need.Bug.ID) {
			continue
		}
		return fmt.Sprintf("attempts %v on %s", need.Missing, need.Bug.ID), true, r.solveBug(ctx, need.Bug, need.Missing)
	}
	finish, err := r.Store.BugsToFinish(ctx, r.job(), r.Arena.cfg.NAttempts)
	if err != nil {
		return "bugs to finish", false, err
	}
	for _, b := range finish {
		if !r.try("finish " + b.ID) {
			continue
		}
		return "rewards of " + b.ID, true, r.finishBug(ctx, b.ID)
	}
	return "", false, nil
}

// try counts one more try of a leftover unit and reports whether it may run.
func (r *Runner) try(id string) bool {
	if r.tries[id] >= maxTries {
		return false
	}
	r.tries[id]++
	return true
}

func allAttempts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (r *Runner) repo(name string) *Repo {
	for _, x := range r.Repos {
		if x.Name == name {
			return x
		}
	}
	return nil
}

func (r *Runner) limitReached(ctx context.Context) (bool, error) {
	c, err := r.Store.Counts(ctx, r.job())
	if err != nil {
		return false, err
	}
	l := r.Limits
	switch {
	case l.Bugs > 0 && c.Bugs >= l.Bugs,
		l.Attempts > 0 && c.Attempts >= l.Attempts,
		l.Proposed > 0 && c.Artifacts >= l.Proposed,
		l.WallTime > 0 && time.Since(r.started) >= l.WallTime:
		return true, nil
	}
	return false, nil
}

// step does one unit of work: leftovers first, then an order-2 bug when one is due, otherwise an injector
// episode and, when its artifact is valid, the bug's attempts. unit names the work for failure records.
func (r *Runner) step(ctx context.Context) (unit string, err error) {
	if unit, did, err := r.leftover(ctx); did || err != nil {
		return unit, err
	}
	cands, err := r.Store.Order2Candidates(ctx, r.job())
	if err != nil {
		return "order-2 candidates", err
	}
	if len(cands) > 0 && r.everyRepoHadATurn() && r.gen.Float64() < r.Arena.cfg.Order2Share {
		return "order-2 bug from " + cands[0].Attempt.ID, r.order2(ctx, cands[0])
	}
	repo := r.nextRepo()
	fallback := StrategyDirect
	if agent.IsStructured(r.Agent) {
		fallback = StrategyMutation
	}
	plan := InjectPlan{Strategy: r.gen.pick(r.Strategies, fallback), Sites: 1, Seed: r.gen.Uint64()}
	if plan.Strategy == StrategyMutation {
		if err := r.applyCurriculum(ctx, &plan); err != nil { // sites and operators from the recent solve rate
			return "curriculum", err
		}
		if err := r.planSpread(ctx, repo, &plan); err != nil { // the prior against the repo's crowded functions
			return "spread", err
		}
	}
	unit = fmt.Sprintf("%s injector on %s", plan.Strategy, repo.Name)
	inj, err := r.Arena.Inject(ctx, repo, plan, r.Agent)
	if err != nil {
		return unit, err
	}
	id := newID("art")
	if inj.Artifact == nil {
		inj.Artifact = &artifact.Artifact{}
	}
	inj.Artifact.Meta = artifact.Metadata{Repo: repo.Name, ImageDigest: repo.ImageID, Strategy: plan.Strategy, Order: 1,
		PolicyVersion: int(r.Agent.PolicyVersion()), Agent: r.Agent.Name(), Stage: plan.Stage}
	parts, err := inj.Artifact.MarshalRecord()
	if err != nil {
		return unit, err
	}
	ep := r.episode(store.RoleInjector, repo.Name, inj.Turns, inj.Started, inj.Finished)
	ep.ArtifactID = id
	if err := r.Store.ProposeArtifact(ctx, store.Artifact{ID: id, Job: r.job(), Repo: repo.Name, Strategy: plan.Strategy, Order: 1,
		PolicyVersion: r.Agent.PolicyVersion(), Agent: r.Agent.Name(), Parts: parts}, ep); err != nil {
		return unit, err
	}
	if inj.Rejection != "" {
		return "rejection of " + id, r.reject(ctx, repo, id, "collect", inj.Rejection, ep)
	}
	unit = "validation of " + id
	r.tries[id]++
	bugID, err := r.validate(ctx, repo, id, inj.Artifact, ep)
	if err != nil || bugID == "" {
		return unit, err
	}
	bug, err := r.Store.GetBug(ctx, bugID)
	if err != nil {
		return unit, err
	}
	return "attempts on " + bugID, r.solveBug(ctx, bug, allAttempts(r.Arena.cfg.NAttempts))
}

// validate validates an order-1 artifact and records the verdict, the bug if valid and every run's log;
// a rejected artifact's injector episode gets its −1 in the same transaction. It returns the bug's id.
func (r *Runner) validate(ctx context.Context, repo *Repo, artID string, art *artifact.Artifact, ep *store.Episode) (string, error) {
	rep, err := r.Arena.Validate(ctx, repo, art)
	if err != nil {
		return "", fmt.Errorf("validate %s on %s: %w", artID, repo.Name, err)
	}
	notes, _ := json.Marshal(rep.Notes)
	v := store.Validation{ArtifactID: artID, Valid: rep.Valid, Step: rep.Step, F2P: rep.F2P, P2P: rep.P2P, Durations: rep.Durations, Notes: notes}
	var bug *store.Bug
	if rep.Valid {
		bug = &store.Bug{ID: newID("bug"), ArtifactID: artID, F2P: rep.F2P, P2P: rep.P2P}
	} else {
		v.Reason = rep.Rejection.Error()
		if ep == nil { // a leftover artifact: its injector episode was stored when it was proposed
			eps, err := r.Store.ListEpisodes(ctx, r.job(), store.EpisodeFilter{Role: store.RoleInjector, ArtifactID: artID, Limit: 1})
			if err != nil {
				return "", err
			}
			if len(eps) == 1 {
				ep = &store.Episode{ID: eps[0].ID}
			}
		}
		if ep != nil {
			reward, _ := rewards.Injector(false, 0, 0, r.Arena.cfg.Alpha)
			ep.Reward = &reward
		}
	}
	logs, known := r.newLogs(rep.Runs, artID)
	v.LogIDs = known
	if err := r.Store.RecordValidation(ctx, v, bug, ep, logs...); err != nil {
		return "", err
	}
	r.remember(rep.Runs, logs)
	r.observe(func(o Observer) {
		o.Validation(rep.Step, rep.Valid)
		if ep != nil && ep.Reward != nil {
			o.Episode(store.RoleInjector, store.OutcomeRejected, *ep.Reward)
		}
	})
	r.progress(ctx, fmt.Sprintf("%s on %s: %s", artID, repo.Name, verdict(rep)))
	if bug == nil {
		return "", nil
	}
	return bug.ID, nil
}

// reject records the verdict on a hand-in that is no artifact (a part is missing): rejected at step with
// reason, and its injector episode's −1, in one transaction.
func (r *Runner) reject(ctx context.Context, repo *Repo, artID, step, reason string, ep *store.Episode) error {
	reward, _ := rewards.Injector(false, 0, 0, r.Arena.cfg.Alpha)
	ep.Reward = &reward
	v := store.Validation{ArtifactID: artID, Step: step, Reason: reason}
	if err := r.Store.RecordValidation(ctx, v, nil, ep); err != nil {
		return err
	}
	r.observe(func(o Observer) {
		o.Validation(step, false)
		o.Episode(store.RoleInjector, store.OutcomeRejected, reward)
	})
	r.progress(ctx, fmt.Sprintf("%s on %s: rejected: %s", artID, repo.Name, reason))
	return nil
}

func verdict(rep *Report) string {
	if rep.Valid {
		return fmt.Sprintf("valid (%d F2P, %d P2P)", len(rep.F2P), len(rep.P2P))
	}
	return "rejected: " + rep.Rejection.Error()
}

// order2 turns a failed first-order attempt into an order-2 bug: the same spec with the failed prediction
// applied on top. It must still have a failing F2P test, which the attempt's evaluation already tells.
func (r *Runner) order2(ctx context.Context, c store.Order2Candidate) error {
	parent, err := r.Store.GetArtifact(ctx, c.Bug.ArtifactID)
	if err != nil {
		return err
	}
	id := newID("art")
	a := store.Artifact{ID: id, Job: r.job(), Repo: c.Bug.Repo, Strategy: parent.Strategy, Order: 2, ParentBug: c.Bug.ID,
		ParentAttempt: c.Attempt.ID, PolicyVersion: parent.PolicyVersion, Agent: parent.Agent, Parts: parent.Parts}
	if err := r.Store.ProposeArtifact(ctx, a, nil); err != nil {
		return err
	}
	repo := r.repo(c.Bug.Repo)
	if repo == nil {
		return fmt.Errorf("order-2 bug on %s: the repository is not in this job's config", c.Bug.Repo)
	}
	return r.validateOrder2(ctx, repo, a)
}

func (r *Runner) validateOrder2(ctx context.Context, repo *Repo, a store.Artifact) error {
	atts, err := r.Store.Attempts(ctx, a.ParentBug)
	if err != nil {
		return err
	}
	var parent *store.Attempt
	for i := range atts {
		if atts[i].ID == a.ParentAttempt {
			parent = &atts[i]
		}
	}
	if parent == nil {
		return fmt.Errorf("order-2 artifact %s: parent attempt %s not found", a.ID, a.ParentAttempt)
	}
	var ev Evaluation
	_ = json.Unmarshal(parent.Details, &ev)
	pbug, err := r.Store.GetBug(ctx, a.ParentBug)
	if err != nil {
		return err
	}
	v := store.Validation{ArtifactID: a.ID, Step: "order2"}
	var bug *store.Bug
	if len(ev.FailingF2P) == 0 {
		v.Reason = "the failed prediction leaves no F2P test failing (it broke P2P tests only)"
	} else {
		v.Valid = true
		bug = &store.Bug{ID: newID("bug"), ArtifactID: a.ID, F2P: pbug.F2P, P2P: pbug.P2P}
		v.F2P, v.P2P = pbug.F2P, pbug.P2P
	}
	if err := r.Store.RecordValidation(ctx, v, bug, nil); err != nil {
		return err
	}
	r.observe(func(o Observer) { o.Validation(v.Step, v.Valid) })
	if bug == nil {
		r.progress(ctx, fmt.Sprintf("order-2 %s: rejected: %s", a.ID, v.Reason))
		return nil
	}
	r.progress(ctx, fmt.Sprintf("order-2 %s from %s: %d F2P still failing", bug.ID, parent.ID, len(ev.FailingF2P)))
	b, err := r.Store.GetBug(ctx, bug.ID)
	if err != nil {
		return err
	}
	return r.solveBug(ctx, b, allAttempts(r.Arena.cfg.NAttempts))
}

// loadBug rebuilds the arena's Bug from the store.
func (r *Runner) loadBug(ctx context.Context, b store.Bug) (*Repo, *Bug, error) {
	repo := r.repo(b.Repo)
	if repo == nil {
		return nil, nil, fmt.Errorf("bug %s: repository %s is not in this job's config", b.ID, b.Repo)
	}
	sa, err := r.Store.GetArtifact(ctx, b.ArtifactID)
	if err != nil {
		return nil, nil, err
	}
	art, err := artifact.UnmarshalJSON("artifact "+sa.ID, sa.Parts)
	if err != nil {
		return nil, nil, err
	}
	var parent *patches.Patch
	if b.Order == 2 {
		atts, err := r.Store.Attempts(ctx, b.ParentBug)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range atts {
			if a.ID == b.ParentAttempt {
				if parent, err = patches.ParseBytes([]byte(a.Prediction)); err != nil {
					return nil, nil, fmt.Errorf("bug %s: parent prediction: %w", b.ID, err)
				}
			}
		}
		if parent == nil {
			return nil, nil, fmt.Errorf("bug %s: parent attempt %s not found", b.ID, b.ParentAttempt)
		}
	}
	bug, err := NewBug(repo, b.ID, art, b.Order, parent, b.F2P, b.P2P)
	if err != nil {
		return nil, nil, err
	}
	bug.ArtifactID, bug.ParentBug, bug.ParentAttempt = b.ArtifactID, b.ParentBug, b.ParentAttempt
	if err := r.Arena.learnDuration(ctx, repo, art); err != nil {
		return nil, nil, fmt.Errorf("bug %s: original runs for its time limit: %w", b.ID, err)
	}
	return repo, bug, nil
}

// solveBug runs the missing attempts of a bug in parallel (bounded by the container budget: each attempt
// holds a solver sandbox and then an evaluation sandbox), records each as it finishes, then finishes the bug.
// An attempt that fails outside the protocol does not stop its siblings; the bug is finished once every
// attempt is recorded (a later step retries the missing ones).
func (r *Runner) solveBug(ctx context.Context, b store.Bug, missing []int) error {
	repo, bug, err := r.loadBug(ctx, b)
	if err != nil {
		return err
	}
	p := pool.New().WithErrors().WithMaxGoroutines(max(1, r.Arena.cfg.Containers))
	for _, idx := range missing {
		p.Go(func() error {
			r.inUse.Add(1)
			att, err := r.Arena.Solve(ctx, repo, bug, r.Agent, idx)
			r.inUse.Add(-1)
			if err != nil {
				return fmt.Errorf("attempt %d on %s: %w", idx, bug.ID, err)
			}
			return r.recordAttempt(ctx, repo, bug, att)
		})
	}
	if err := p.Wait(); err != nil {
		return err
	}
	return r.finishBug(ctx, bug.ID)
}

func (r *Runner) recordAttempt(ctx context.Context, repo *Repo, bug *Bug, att *Attempt) error {
	success := att.Eval != nil && att.Eval.Success
	reward := rewards.Solver(success)
	details, _ := json.Marshal(att.Eval)
	id := newID("att")
	ep := r.episode(store.RoleSolver, repo.Name, att.Turns, att.Started, att.Finished)
	ep.Reward = &reward
	var logs []store.RawLog
	if att.Eval != nil && att.Eval.Run != nil {
		logs, _ = r.newLogs([]*TestRun{att.Eval.Run}, id)
	}
	err := r.Store.RecordAttempt(ctx, store.Attempt{ID: id, BugID: bug.ID, Index: att.Index, Prediction: att.Prediction,
		Success: success, Reward: reward, Details: details, Started: att.Started, Finished: att.Finished}, ep, logs...)
	if errors.Is(err, store.ErrDuplicate) {
		return nil // recorded by an earlier run of the job: never count it twice
	}
	if err != nil {
		return err
	}
	r.observe(func(o Observer) {
		outcome := store.OutcomeSolved
		if !success {
			outcome = store.OutcomeFailed
		}
		o.Episode(store.RoleSolver, outcome, reward)
	})
	why := "solved"
	if !success && att.Eval != nil {
		why = att.Eval.Reason
	}
	r.progress(ctx, fmt.Sprintf("%s attempt %d: %s", bug.ID, att.Index, why))
	return nil
}

// finishBug rewards the injector from the bug's solve rate and stores the solvers' group advantages.
func (r *Runner) finishBug(ctx context.Context, bugID string) error {
	atts, err := r.Store.Attempts(ctx, bugID)
	if err != nil {
		return err
	}
	solved := 0
	rs := make([]float64, len(atts))
	for i, a := range atts {
		if a.Success {
			solved++
		}
		rs[i] = a.Reward
	}
	reward, err := rewards.Injector(true, solved, len(atts), r.Arena.cfg.Alpha)
	if err != nil {
		return fmt.Errorf("bug %s: %w", bugID, err)
	}
	switch err := r.Store.FinishBug(ctx, bugID, reward, rewards.SolveRate(solved, len(atts))); {
	case err == nil:
		r.observe(func(o Observer) { o.Episode(store.RoleInjector, store.OutcomeValid, reward) })
	case !errors.Is(err, store.ErrDuplicate):
		return err
	}
	adv := map[string]float64{}
	for i, a := range rewards.Advantages(rs) {
		if atts[i].EpisodeID != "" {
			adv[atts[i].EpisodeID] = a
		}
	}
	return r.Store.SetAdvantages(ctx, adv)
}

func (r *Runner) episode(role store.Role, repo string, turns []agent.Turn, started, finished time.Time) *store.Episode {
	data, _ := json.Marshal(turns)
	return &store.Episode{ID: newID("ep"), Job: r.job(), Role: role, Agent: r.Agent.Name(), PolicyVersion: r.Agent.PolicyVersion(),
		Repo: repo, Turns: data, Started: started, Finished: finished}
}

// newLogs turns runs into raw logs to record, leaving out runs already recorded (a cached original run is
// shared by every artifact with the same oracle), whose ids it returns instead.
func (r *Runner) newLogs(runs []*TestRun, ref string) (logs []store.RawLog, known []string) {
	for _, run := range runs {
		if run == nil {
			continue
		}
		if id, ok := r.logged.Load(run); ok {
			known = append(known, id.(string))
			continue
		}
		r.observe(func(o Observer) { o.TestRun(run.Kind, run.Duration) })
		res, _ := json.Marshal(run.Results)
		logs = append(logs, store.RawLog{ID: newID("log"), Job: r.job(), Kind: store.LogKind(run.Kind), Ref: ref, Output: run.Output,
			ExitCode: run.ExitCode, Duration: run.Duration, Results: res, End: run.End, TimedOut: run.TimedOut, Timeout: run.Timeout})
	}
	return logs, known
}

// remember notes which runs are recorded under which log id, once the transaction that wrote them committed.
func (r *Runner) remember(runs []*TestRun, logs []store.RawLog) {
	i := 0
	for _, run := range runs {
		if run == nil {
			continue
		}
		if _, ok := r.logged.Load(run); ok {
			continue
		}
		if run.Kind == "original" && i < len(logs) {
			r.logged.Store(run, logs[i].ID)
		}
		i++
	}
}

func (r *Runner) progress(ctx context.Context, what string) {
	if r.Progress == nil {
		return
	}
	c, err := r.Store.Counts(ctx, r.job())
	if err != nil {
		return
	}
	rate := 0.0
	if c.Attempts > 0 {
		rate = float64(c.Solved) / float64(c.Attempts)
	}
	fmt.Fprintf(r.Progress, "[%s] %s\n    proposed %d  valid %d  rejected %d  bugs %d (order-2 %d)  attempts %d  solved %d (%.0f%%)  reward injector %+.2f solver %+.2f  sandboxes in use %d\n",
		time.Since(r.started).Round(time.Second), what, c.Artifacts, c.Valid, c.Rejected, c.Bugs, c.Order2, c.Attempts, c.Solved, 100*rate,
		c.Roles[store.RoleInjector].MeanReward, c.Roles[store.RoleSolver].MeanReward, r.containers())
}

// containers is the number of sandboxes running now: the provider's count when known, else the units of
// work in flight.
func (r *Runner) containers() int64 {
	if r.Containers != nil {
		return int64(r.Containers())
	}
	return r.inUse.Load()
}

func newID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}
