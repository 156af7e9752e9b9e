package native

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
)

// Solver budget: an edit takes three turns (apply, run_tests, keep or revert); the last two turns are kept
// for the best guess (one apply) and submit.
const (
	editTurns    = 3
	closingTurns = 2
)

// maxScored is the most edit candidates the solver's policy scores in one decision. Scoring is cheap (400
// candidates take a few milliseconds), so the policy scores every candidate not tried yet; only a list longer
// than this (a large repository) is cut, to the best-ranked by rank's cheap pre-filter, whose order every
// candidate carries as its filter_rank feature.
const maxScored = 512

// The solver's prior (Candidate.Prior). Scoring every candidate alike, the untrained policy would draw
// among hundreds of edits blindly, and a solver that never solves teaches the trainer nothing. So rank's
// shortlist, its shortlistSize best candidates with at most perFunction from one function (what the solver
// once chose among, uniformly), gets a prior logit that gives it shortlistMass of the untrained policy's
// probability; every other candidate keeps a share of the rest, which a trained policy can raise.
const (
	shortlistSize = 10
	perFunction   = 3
	shortlistMass = 0.9
)

// solve is the solver's hill climb. It writes the hidden tests back from the spec (which is what the spec
// says they are), runs them, and tries edits ranked by the failing output: an edit is kept when fewer tests
// fail with it and reverted otherwise, until the tests pass or the turns run out. Submitting nothing teaches
// nothing: when no edit helped, it hands in the last edit that did no harm, a plausible but wrong repair
// (the material of order-2 bugs).
func (n *Agent) solve(ctx context.Context, obs *agent.Observation) (agent.Action, error) {
	st := solverStateOf(obs.History)
	submit := agent.Action{Tool: agent.ToolSubmit}
	switch {
	case obs.TurnsLeft <= 1:
		return submit, nil
	case !st.specApplied && obs.Task.Spec != "":
		return agent.Action{Tool: agent.ToolBash, Command: applySpec(obs.Task.Spec)}, nil
	case st.first == nil:
		return agent.Action{Tool: agent.ToolRunTests}, nil
	case st.judging:
		if st.lastFailing < st.best {
			return agent.Action{Tool: agent.ToolKeep}, nil
		}
		return agent.Action{Tool: agent.ToolRevert}, nil
	case st.pending:
		if st.closing || obs.TurnsLeft <= closingTurns {
			return submit, nil // the best guess is in: hand it in
		}
		return agent.Action{Tool: agent.ToolRunTests}, nil
	case st.best == 0:
		return submit, nil
	}
	rows, index := n.choices(obs, st)
	if len(rows) > 0 && obs.TurnsLeft >= editTurns+closingTurns {
		d, err := n.Choose(ctx, agent.Solver, rows)
		if err != nil {
			return agent.Action{}, err
		}
		return apply(index[d.Chosen], d), nil
	}
	if st.tie != nil && !st.kept {
		for i, c := range obs.Candidates {
			if c.Key() == st.tie.Key() {
				return apply(i, &agent.Decision{Rows: []agent.Candidate{c}, Chosen: 0, PolicyVersion: n.PolicyVersion()}), nil
			}
		}
	}
	return submit, nil
}

// applySpec is the shell command that applies the spec (a diff over test files) in the work directory.
func applySpec(spec string) string {
	delim := "SSR_SPEC"
	for strings.Contains(spec, delim) {
		delim += "_"
	}
	return fmt.Sprintf("git apply --whitespace=nowarn <<'%s'\n%s\n%s", delim, strings.TrimRight(spec, "\n"), delim)
}

// solverState is where a solver episode stands, derived from its turns.
type solverState struct {
	specApplied bool
	first       *agent.Turn      // the first test run: the failing output the edits are ranked by
	best        int              // tests failing in the kept state
	kept        bool             // an edit was kept
	tried       map[string]bool  // candidates applied (or refused) so far
	tie         *agent.Candidate // the last edit that left as many tests failing as before
	pending     bool             // an edit is applied and not yet run
	closing     bool             // the pending edit is the best guess: submit it untested
	judging     bool             // an edit is applied and run: keep or revert now
	lastFailing int
}

func solverStateOf(h []agent.Turn) solverState {
	st := solverState{tried: map[string]bool{}}
	var applied *agent.Candidate
	for i := range h {
		t := h[i]
		switch t.Action.Tool {
		case agent.ToolBash:
			st.specApplied = true
		case agent.ToolRunTests:
			if st.first == nil {
				st.first = &h[i]
				st.best = t.Result.Failing
				continue
			}
			if st.pending {
				st.pending, st.judging, st.lastFailing = false, true, t.Result.Failing
			}
		case agent.ToolApply:
			c, ok := chosen(t)
			if ok {
				st.tried[c.Key()] = true
			}
			if ok && t.Result.Error == "" {
				applied, st.pending, st.judging = &c, true, false
				st.closing = st.tie != nil && c.Key() == st.tie.Key()
			}
		case agent.ToolKeep:
			if st.judging {
				st.best, st.kept = st.lastFailing, true
			}
			st.judging, st.pending, applied = false, false, nil
		case agent.ToolRevert:
			if st.judging && st.lastFailing == st.best && applied != nil {
				st.tie = applied
			}
			st.judging, st.pending, applied = false, false, nil
		}
	}
	return st
}

// choices are the edit candidates the policy chooses among: every candidate not tried yet, in rank's order by
// the first run's failing output, with the episode's features (solver_features.go) and their prior (see
// setPrior); at most maxScored of them.
// index maps each row to its index in obs.Candidates.
func (n *Agent) choices(obs *agent.Observation, st solverState) (rows []agent.Candidate, index []int) {
	var failing []string
	for id, s := range st.first.Result.Tests {
		if s == "failed" || s == "error" {
			failing = append(failing, id)
		}
	}
	sort.Strings(failing) // map order must not reach the features
	order := rank(obs.Candidates, st.first.Result.Output, failing)
	solverFeatures(order, obs, st.first, failing)
	for _, r := range order {
		if st.tried[r.cand.Key()] {
			continue
		}
		rows = append(rows, r.cand)
		index = append(index, r.index)
		if len(rows) == maxScored {
			break
		}
	}
	setPrior(rows)
	return rows, index
}

// setPrior gives the rows of rank's shortlist (rows come in rank's order) the prior logit that makes them
// shortlistMass of a uniform policy's probability.
func setPrior(rows []agent.Candidate) {
	in := shortlist(rows, shortlistSize, perFunction)
	rest := len(rows) - len(in)
	if len(in) == 0 || rest == 0 {
		return
	}
	p := math.Log(shortlistMass / (1 - shortlistMass) * float64(rest) / float64(len(in)))
	for _, i := range in {
		rows[i].Prior = p
	}
}
