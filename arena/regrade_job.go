package arena

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/rewards"
)

// Change is one stored verdict that a regrade computes differently.
type Change struct {
	ID     string `json:"id"`   // the artifact, bug or attempt
	What   string `json:"what"` // validation, bug, attempt, injector reward, …
	Old    string `json:"old"`  // the stored verdict, in a few words
	New    string `json:"new"`  // the recomputed one
	Reason string `json:"reason,omitempty"`
}

// JobRegrade is what regrading a whole job found: every change, what to write to apply them, and what
// could not be regraded.
type JobRegrade struct {
	Artifacts int           `json:"artifacts"` // validations recomputed
	Attempts  int           `json:"attempts"`  // evaluations recomputed
	Changes   []Change      `json:"changes"`
	Skipped   []string      `json:"skipped,omitempty"` // "id: why"
	Apply     store.Regrade `json:"-"`
	evals     map[string]*Evaluation
}

// RegradeJob recomputes every verdict of a job from its stored raw logs, without containers: each
// validation (through [Arena.Regrade]; an order-2 validation from its parent attempt's new evaluation), each
// attempt's evaluation from its evaluation run with the bug's new F2P and P2P, the solvers' rewards, each
// finished bug's solve rate and its injector's reward, and the advantages of every group whose rewards
// moved. repos are the job's repositories as [PrepareHost] gives them. Nothing is written: the result's
// Apply is for [store.Store.ApplyRegrade].
func (a *Arena) RegradeJob(ctx context.Context, st *store.Store, job string, repos []*Repo) (*JobRegrade, error) {
	arts, err := st.ListArtifacts(ctx, job)
	if err != nil {
		return nil, err
	}
	byName := map[string]*Repo{}
	for _, r := range repos {
		byName[r.Name] = r
	}
	jr := &JobRegrade{evals: map[string]*Evaluation{}, Apply: store.Regrade{Rewards: map[string]float64{}, Advantages: map[string]float64{}}}
	for _, sa := range arts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := a.regradeArtifact(ctx, st, jr, byName[sa.Repo], sa); err != nil {
			return nil, fmt.Errorf("regrade %s: %w", sa.ID, err)
		}
	}
	return jr, nil
}

func (jr *JobRegrade) skip(id, format string, args ...any) {
	jr.Skipped = append(jr.Skipped, id+": "+fmt.Sprintf(format, args...))
}

func (jr *JobRegrade) change(id, what, old, new, reason string) {
	jr.Changes = append(jr.Changes, Change{ID: id, What: what, Old: old, New: new, Reason: reason})
}

func (a *Arena) regradeArtifact(ctx context.Context, st *store.Store, jr *JobRegrade, repo *Repo, sa store.Artifact) error {
	old, err := st.GetValidation(ctx, sa.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // pending: nothing to regrade
	}
	if err != nil {
		return err
	}
	if repo == nil {
		jr.skip(sa.ID, "repository %s is not in the job's config", sa.Repo)
		return nil
	}
	art, err := artifact.UnmarshalJSON("artifact "+sa.ID, sa.Parts)
	if err != nil {
		jr.skip(sa.ID, "%v", err)
		return nil
	}
	var nv store.Validation
	if sa.Order == 2 {
		nv, err = a.regradeOrder2(ctx, st, jr, sa, old)
	} else {
		if len(old.LogIDs) == 0 {
			return nil // rejected before any run (a hand-in that is no artifact): no log to regrade from
		}
		nv, err = a.regradeOrder1(ctx, st, repo, art, old)
	}
	if err != nil {
		return err
	}
	jr.Artifacts++
	jr.compareValidation(old, nv)
	injector := ""
	eps, err := st.ListEpisodes(ctx, sa.Job, store.EpisodeFilter{Role: store.RoleInjector, ArtifactID: sa.ID, Limit: 1})
	if err != nil {
		return err
	}
	if len(eps) == 1 {
		injector = eps[0].ID
	}
	bug, err := st.BugOfArtifact(ctx, sa.ID)
	hasBug := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch {
	case nv.Valid && !hasBug:
		nb := store.Bug{ID: newID("bug"), ArtifactID: sa.ID, F2P: nv.F2P, P2P: nv.P2P}
		jr.Apply.NewBugs = append(jr.Apply.NewBugs, nb)
		jr.change(nb.ID, "bug", "none", "open", "the artifact is now valid: the bug is recorded open, so that 'ssr run --resume' runs its attempts")
		return nil
	case !nv.Valid && hasBug:
		if r, _ := rewards.Injector(false, 0, 0, a.cfg.Alpha); injector != "" && !sameReward(eps[0].Reward, r) {
			jr.Apply.Rewards[injector] = r
			jr.change(injector, "injector reward", fmtReward(eps[0].Reward), fmtReward(&r), "the artifact is now rejected; its bug "+bug.ID+" is kept with its attempts")
		}
		return nil
	case !nv.Valid:
		return nil
	}
	return a.regradeBug(ctx, st, jr, repo, art, bug, nv, injector, eps)
}

// regradeOrder1 recomputes validation's verdict from the artifact's recorded runs.
func (a *Arena) regradeOrder1(ctx context.Context, st *store.Store, repo *Repo, art *artifact.Artifact, old store.Validation) (store.Validation, error) {
	logs := make([]store.RawLog, 0, len(old.LogIDs))
	for _, id := range old.LogIDs {
		l, err := st.Log(ctx, id)
		if err != nil {
			return store.Validation{}, err
		}
		logs = append(logs, l)
	}
	rep, err := a.Regrade(ctx, repo, art, logs)
	if err != nil {
		return store.Validation{}, err
	}
	nv := store.Validation{ArtifactID: old.ArtifactID, Valid: rep.Valid, Step: rep.Step, F2P: rep.F2P, P2P: rep.P2P}
	if rep.Rejection != nil {
		nv.Reason = rep.Rejection.Error()
	}
	nv.Notes, _ = json.Marshal(rep.Notes)
	return nv, nil
}

// regradeOrder2 re-decides an order-2 validation from its parent attempt's (re-graded) evaluation.
func (a *Arena) regradeOrder2(ctx context.Context, st *store.Store, jr *JobRegrade, sa store.Artifact, old store.Validation) (store.Validation, error) {
	pbug, err := st.GetBug(ctx, sa.ParentBug)
	if err != nil {
		return store.Validation{}, err
	}
	if v := findValidation(jr.Apply.Validations, pbug.ArtifactID); v != nil {
		pbug.F2P, pbug.P2P = v.F2P, v.P2P
	}
	ev := jr.evals[sa.ParentAttempt]
	if ev == nil {
		atts, err := st.Attempts(ctx, sa.ParentBug)
		if err != nil {
			return store.Validation{}, err
		}
		ev = &Evaluation{}
		for _, t := range atts {
			if t.ID == sa.ParentAttempt {
				_ = json.Unmarshal(t.Details, ev)
			}
		}
	}
	nv := store.Validation{ArtifactID: sa.ID, Step: "order2", Notes: old.Notes}
	if len(ev.FailingF2P) == 0 {
		nv.Reason = "the failed prediction leaves no F2P test failing (it broke P2P tests only)"
	} else {
		nv.Valid, nv.F2P, nv.P2P = true, pbug.F2P, pbug.P2P
	}
	return nv, nil
}

func findValidation(vs []store.Validation, artifactID string) *store.Validation {
	for i := range vs {
		if vs[i].ArtifactID == artifactID {
			return &vs[i]
		}
	}
	return nil
}

// compareValidation reports how nv differs from the stored report and queues it for writing if it does.
func (jr *JobRegrade) compareValidation(old, nv store.Validation) {
	id := old.ArtifactID
	changed := false
	if old.Valid != nv.Valid || (!nv.Valid && (old.Step != nv.Step || old.Reason != nv.Reason)) {
		jr.change(id, "validation", verdictWords(old), verdictWords(nv), nv.Reason)
		changed = true
	}
	if !slices.Equal(old.F2P, nv.F2P) {
		jr.change(id, "F2P", listWords(old.F2P), listWords(nv.F2P), diffWords(old.F2P, nv.F2P))
		changed = true
	}
	if !slices.Equal(old.P2P, nv.P2P) {
		jr.change(id, "P2P", listWords(old.P2P), listWords(nv.P2P), diffWords(old.P2P, nv.P2P))
		changed = true
	}
	if !sameNotes(old.Notes, nv.Notes) {
		if !changed {
			jr.change(id, "notes", string(old.Notes), string(nv.Notes), "")
		}
		changed = true
	}
	if changed {
		jr.Apply.Validations = append(jr.Apply.Validations, nv)
	}
}

// regradeBug re-evaluates every attempt on a bug with its new F2P and P2P, then its solve rate, the
// injector's reward and the solvers' advantages.
func (a *Arena) regradeBug(ctx context.Context, st *store.Store, jr *JobRegrade, repo *Repo, art *artifact.Artifact, bug store.Bug,
	nv store.Validation, injector string, eps []store.Episode) error {
	nb := bug
	if bug.Order == 1 {
		nb.F2P, nb.P2P = nv.F2P, nv.P2P
	} else if pv := findBug(jr.Apply.Bugs, bug.ParentBug); pv != nil {
		nb.F2P, nb.P2P = pv.F2P, pv.P2P
	}
	bugChanged := !slices.Equal(bug.F2P, nb.F2P) || !slices.Equal(bug.P2P, nb.P2P)
	if bugChanged && bug.Order == 2 {
		jr.change(bug.ID, "F2P/P2P", fmt.Sprintf("%d/%d", len(bug.F2P), len(bug.P2P)), fmt.Sprintf("%d/%d", len(nb.F2P), len(nb.P2P)), "its parent bug's lists changed")
	}
	atts, err := st.Attempts(ctx, bug.ID)
	if err != nil {
		return err
	}
	solved := 0
	rs := make([]float64, len(atts))
	rewardsMoved := false
	for i, t := range atts {
		ev, err := a.regradeAttempt(ctx, st, repo, art, nb, t)
		if err != nil {
			return err
		}
		success, reward := t.Success, t.Reward
		if ev != nil {
			jr.Attempts++
			jr.evals[t.ID] = ev
			success, reward = ev.Success, rewards.Solver(ev.Success)
			oldEv := Evaluation{}
			_ = json.Unmarshal(t.Details, &oldEv)
			if success != t.Success || reward != t.Reward || !slices.Equal(oldEv.FailingF2P, ev.FailingF2P) || !slices.Equal(oldEv.BrokenP2P, ev.BrokenP2P) {
				details, _ := json.Marshal(ev)
				jr.Apply.Attempts = append(jr.Apply.Attempts, store.Attempt{ID: t.ID, Success: success, Reward: reward, Details: details})
				if success != t.Success {
					jr.change(t.ID, "attempt", successWords(t.Success, t.Reward), successWords(success, reward), cmp.Or(ev.Reason, "every F2P and P2P test passes"))
				} else {
					jr.change(t.ID, "evaluation", oldEv.Reason, ev.Reason, "")
				}
				if reward != t.Reward && t.EpisodeID != "" {
					jr.Apply.Rewards[t.EpisodeID] = reward
					rewardsMoved = true
				}
			}
		}
		if success {
			solved++
		}
		rs[i] = reward
	}
	if bug.Status == store.BugDone && len(atts) > 0 {
		rate := rewards.SolveRate(solved, len(atts))
		ir, err := rewards.Injector(true, solved, len(atts), a.cfg.Alpha)
		if err != nil {
			return fmt.Errorf("bug %s: %w", bug.ID, err)
		}
		if !sameReward(bug.SolveRate, rate) || !sameReward(bug.InjectorReward, ir) {
			jr.change(bug.ID, "solve rate, injector reward", fmt.Sprintf("%s, %s", fmtRate(bug.SolveRate), fmtReward(bug.InjectorReward)),
				fmt.Sprintf("%s, %s", fmtRate(&rate), fmtReward(&ir)), fmt.Sprintf("%d of %d attempts solve it", solved, len(atts)))
			nb.SolveRate, nb.InjectorReward = &rate, &ir
			bugChanged = true
		}
		if injector != "" && !sameReward(eps[0].Reward, ir) {
			jr.Apply.Rewards[injector] = ir
		}
		if rewardsMoved {
			for i, adv := range rewards.Advantages(rs) {
				if atts[i].EpisodeID != "" {
					jr.Apply.Advantages[atts[i].EpisodeID] = adv
				}
			}
		}
	}
	if bugChanged {
		jr.Apply.Bugs = append(jr.Apply.Bugs, nb)
	}
	return nil
}

func findBug(bs []store.Bug, id string) *store.Bug {
	for i := range bs {
		if bs[i].ID == id {
			return &bs[i]
		}
	}
	return nil
}

// regradeAttempt re-evaluates one attempt from its evaluation run; nil when it has none (its prediction did
// not apply, so no run was made and the stored verdict stands).
func (a *Arena) regradeAttempt(ctx context.Context, st *store.Store, repo *Repo, art *artifact.Artifact, bug store.Bug, t store.Attempt) (*Evaluation, error) {
	for _, id := range slices.Backward(t.LogIDs) {
		l, err := st.Log(ctx, id)
		if err != nil {
			return nil, err
		}
		if l.Kind != store.LogEval {
			continue
		}
		run, err := a.runFromLog(ctx, repo, art, l)
		if err != nil {
			return nil, err
		}
		return judgeEvaluation(bug.F2P, bug.P2P, run), nil
	}
	return nil, nil
}

func sameNotes(a, b json.RawMessage) bool {
	var x, y Notes
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}

func sameReward(old *float64, v float64) bool { return old != nil && math.Abs(*old-v) < 1e-9 }

func verdictWords(v store.Validation) string {
	if v.Valid {
		return fmt.Sprintf("valid (%d F2P, %d P2P)", len(v.F2P), len(v.P2P))
	}
	return "rejected at " + v.Step
}

func listWords(l []string) string { return fmt.Sprintf("%d test(s)", len(l)) }

// diffWords names the tests added to and removed from a list.
func diffWords(old, new []string) string {
	var add, del []string
	for _, id := range new {
		if !slices.Contains(old, id) {
			add = append(add, id)
		}
	}
	for _, id := range old {
		if !slices.Contains(new, id) {
			del = append(del, id)
		}
	}
	var parts []string
	if len(del) > 0 {
		parts = append(parts, "without "+preview(del, 3))
	}
	if len(add) > 0 {
		parts = append(parts, "with "+preview(add, 3))
	}
	return strings.Join(parts, "; ")
}

func successWords(success bool, reward float64) string {
	if success {
		return fmt.Sprintf("solved (%+g)", reward)
	}
	return fmt.Sprintf("failed (%+g)", reward)
}

func fmtReward(r *float64) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%+.3f", *r)
}

func fmtRate(r *float64) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%.3f", *r)
}
