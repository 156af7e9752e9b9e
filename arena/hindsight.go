package arena

import (
	"bytes"
	"context"
	"slices"

	"github.com/selfplay-swe/ssr/agent"
)

// hindsighter is a role whose choices can be checked, after they are made, against what the episode is
// there to undo: the solver's, whose bug the arena made and so knows.
type hindsighter interface {
	// fixes returns the indices of d's rows that would have undone part of the bug in the episode's
	// current state.
	fixes(ctx context.Context, e *episode, cands []candidate, d *agent.Decision) ([]int, error)
}

// hindsight records in an apply's decision which of its rows would have fixed part of the bug, when the
// role can tell (Decision.Fixes). The agent's own decision is left as it is: the recorded action gets a copy.
func (e *episode) hindsight(ctx context.Context, act agent.Action, cands []candidate) (agent.Action, error) {
	h, ok := e.rules.(hindsighter)
	if !ok || act.Tool != agent.ToolApply || act.Invalid != "" || act.Decision == nil || len(act.Decision.Rows) < 2 {
		return act, nil
	}
	fixes, err := h.fixes(ctx, e, cands, act.Decision)
	if err != nil || len(fixes) == 0 {
		return act, err
	}
	d := *act.Decision
	d.Fixes = fixes
	act.Decision = &d
	return act, nil
}

// withoutHindsight is a turn as the agent sees it in its history: a decision's Fixes would tell it the
// answer to its next choice.
func withoutHindsight(t agent.Turn) agent.Turn {
	if d := t.Action.Decision; d != nil && d.Fixes != nil {
		c := *d
		c.Fixes = nil
		t.Action.Decision = &c
	}
	return t
}

// fixReach is how many lines above a changed line a site may start and still be checked: a site's line is
// where its node starts, and a condition or call can span lines.
const fixReach = 3

// fixes checks the rows in files the episode's state has changed from the repository's (the bug, the
// parent prediction of an order-2 bug, the solver's own edits) whose site starts at or just above a changed
// line: each is applied to the current content, and it is a fix when fewer lines then differ from the
// repository's. Rows elsewhere cannot bring a line back and are not applied.
func (r *solverRules) fixes(ctx context.Context, e *episode, cands []candidate, d *agent.Decision) ([]int, error) {
	type fileState struct {
		cur, goal []byte
		dist      int
		changed   []int // 1-based lines of cur that differ from goal
	}
	files := map[string]*fileState{}
	stateOf := func(p string) (*fileState, error) {
		if fs, ok := files[p]; ok {
			return fs, nil
		}
		files[p] = nil
		cur, ok, err := e.ws.content(p)
		if err != nil || !ok {
			return nil, err
		}
		goal, ok, err := r.goal(p)
		if err != nil || !ok || bytes.Equal(cur, goal) {
			return nil, err
		}
		dist, changed := lineDistance(cur, goal)
		files[p] = &fileState{cur: cur, goal: goal, dist: dist, changed: changed}
		return files[p], nil
	}
	byKey := make(map[string]*candidate, len(cands))
	for i := range cands {
		byKey[cands[i].Key()] = &cands[i]
	}
	var out []int
	for i, row := range d.Rows {
		fs, err := stateOf(row.File)
		if err != nil {
			return nil, err
		}
		if fs == nil || !slices.ContainsFunc(fs.changed, func(l int) bool { return row.Line <= l && l-row.Line <= fixReach }) {
			continue
		}
		c := byKey[row.Key()]
		if c == nil || c.change == nil {
			continue
		}
		next, _, refused, err := c.change(ctx, fs.cur)
		if err != nil {
			return nil, err
		}
		if refused != "" {
			continue
		}
		if dist, _ := lineDistance(next, fs.goal); dist < fs.dist {
			out = append(out, i)
		}
	}
	return out, nil
}

// lineDistance measures how far a is from b in lines, and which lines of a (1-based) differ. With as many
// lines in both, it is twice the number of lines that differ (each one removed and one added); otherwise
// it is the lines of both between their common prefix and common suffix.
func lineDistance(a, b []byte) (int, []int) {
	la, lb := bytes.SplitAfter(a, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))
	var changed []int
	if len(la) == len(lb) {
		for i := range la {
			if !bytes.Equal(la[i], lb[i]) {
				changed = append(changed, i+1)
			}
		}
		return 2 * len(changed), changed
	}
	pre := 0
	for pre < len(la) && pre < len(lb) && bytes.Equal(la[pre], lb[pre]) {
		pre++
	}
	suf := 0
	for suf < len(la)-pre && suf < len(lb)-pre && bytes.Equal(la[len(la)-1-suf], lb[len(lb)-1-suf]) {
		suf++
	}
	for l := pre + 1; l <= len(la)-suf; l++ {
		changed = append(changed, l)
	}
	return len(la) + len(lb) - 2*(pre+suf), changed
}
