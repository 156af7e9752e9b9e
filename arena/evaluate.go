package arena

import (
	"context"
	"fmt"
	"sort"

	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Evaluation is the verdict on one prediction.
type Evaluation struct {
	Success    bool              `json:"success"`
	Reason     string            `json:"reason,omitempty"`      // why it failed
	FailingF2P []string          `json:"failing_f2p,omitempty"` // F2P tests that do not pass
	BrokenP2P  []string          `json:"broken_p2p,omitempty"`  // P2P tests that no longer pass
	Statuses   map[string]string `json:"statuses"`              // every F2P and P2P test's status
	Run        *TestRun          `json:"-"`
}

// Evaluate scores a prediction in a fresh sandbox exactly as DESIGN.md says: bug diff, weakening diff, the
// order-2 parent prediction and the prediction applied; every oracle test file restored to its original
// content; the artifact's own test script run and parsed. Changes the prediction makes to test files are
// dropped first: tests and test configuration are the oracle, not the solver's to edit. Success means every
// F2P test passes and every P2P test still passes.
func (a *Arena) Evaluate(ctx context.Context, repo *Repo, bug *Bug, prediction *patches.Patch) (*Evaluation, error) {
	if prediction != nil {
		_, prediction = patches.Split(prediction, repo.IsTestFile)
	}
	st, err := bug.state(repo, prediction)
	if err != nil {
		return &Evaluation{Reason: fmt.Sprintf("the prediction does not apply to the bug state: %v", err)}, nil
	}
	if err := st.restore(repo, bug.Artifact.TestFiles); err != nil {
		return nil, err
	}
	run, err := a.runTests(ctx, repo, "eval", st, bug.Artifact)
	if err != nil {
		return nil, err
	}
	return judgeEvaluation(bug.F2P, bug.P2P, run), nil
}

// judgeEvaluation decides an evaluation from its parsed run: success means every F2P test passes and every
// P2P test still passes. Regrade calls it on runs rebuilt from raw logs.
func judgeEvaluation(f2p, p2p []string, run *TestRun) *Evaluation {
	ev := &Evaluation{Run: run, Statuses: map[string]string{}}
	status := run.Status // a test the run did not report (it timed out, crashed, did not build) is not passing
	for _, id := range f2p {
		ev.Statuses[id] = status(id)
		if ev.Statuses[id] != plugin.StatusPassed {
			ev.FailingF2P = append(ev.FailingF2P, id)
		}
	}
	for _, id := range p2p {
		ev.Statuses[id] = status(id)
		if ev.Statuses[id] != plugin.StatusPassed {
			ev.BrokenP2P = append(ev.BrokenP2P, id)
		}
	}
	sort.Strings(ev.FailingF2P)
	sort.Strings(ev.BrokenP2P)
	switch {
	case run.ParseErr != "":
		ev.Reason = "the parser failed on the evaluation run: " + run.ParseErr
	case !run.Completed() && (len(ev.FailingF2P) > 0 || len(ev.BrokenP2P) > 0):
		ev.Reason = fmt.Sprintf("the evaluation run %s; %d F2P and %d P2P test(s) not passing", run.Ending(), len(ev.FailingF2P), len(ev.BrokenP2P))
	case len(ev.FailingF2P) > 0:
		ev.Reason = fmt.Sprintf("%d of %d F2P test(s) still fail (%s)", len(ev.FailingF2P), len(f2p), preview(ev.FailingF2P, 3))
	case len(ev.BrokenP2P) > 0:
		ev.Reason = fmt.Sprintf("%d P2P test(s) broke (%s)", len(ev.BrokenP2P), preview(ev.BrokenP2P, 3))
	default:
		ev.Success = true
	}
	return ev
}
