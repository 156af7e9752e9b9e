package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
)

// ANSI colours for diffs on a terminal.
const (
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

// renderBug is the bug view as text; color paints diffs.
func renderBug(v *bugView, color bool) string {
	var b strings.Builder
	a := v.Artifact
	fmt.Fprintf(&b, "artifact %s on %s: strategy %s, order %d, policy %d, agent %s, proposed %s\n", a.ID, a.Repo, dash(a.Strategy), a.Order,
		a.PolicyVersion, dash(a.Agent), a.Created.UTC().Format("2006-01-02 15:04:05"))
	if a.Order == 2 {
		fmt.Fprintf(&b, "order 2: from attempt %s on bug %s\n", a.ParentAttempt, a.ParentBug)
	}
	if v.Injector != "" {
		fmt.Fprintf(&b, "injector episode: %s\n", v.Injector)
	}
	b.WriteString("\n== validation\n")
	for _, l := range stepLines(v.Validation) {
		b.WriteString("  " + l + "\n")
	}
	if n := v.Notes; n != nil {
		for _, x := range []struct {
			name string
			ids  []string
		}{{"flaky on the original", n.FlakyOriginal}, {"not run in a bug run", n.NotRun}, {"flaky on the bug", n.FlakyBug},
			{"hidden by the weakening", n.Hidden}, {"not hidden", n.Unhidden}, {"runs that did not complete", n.Ends}} {
			if len(x.ids) > 0 {
				fmt.Fprintf(&b, "  %s (%d): %s\n", x.name, len(x.ids), strings.Join(x.ids, ", "))
			}
		}
	}
	for _, l := range v.Logs {
		fmt.Fprintf(&b, "  log %s: %s, exit %d, %s, %s\n", l.ID, l.Kind, l.ExitCode, dash(l.End), l.Duration)
	}
	if val := v.Validation; val != nil && (len(val.F2P) > 0 || len(val.P2P) > 0) {
		fmt.Fprintf(&b, "\n== F2P (%d)\n", len(val.F2P))
		for _, id := range val.F2P {
			b.WriteString("  " + id + "\n")
		}
		fmt.Fprintf(&b, "== P2P (%d)\n", len(val.P2P))
		for _, id := range val.P2P {
			b.WriteString("  " + id + "\n")
		}
	}
	if p := v.Parts; p != nil {
		b.WriteString("\n== test_script.sh\n" + indent(p.TestScript))
		b.WriteString("== test_files.txt\n" + indent(strings.Join(p.TestFiles, "\n")))
		fmt.Fprintf(&b, "== parser: %s\n", p.Parser)
		if p.Parser.IsScript() {
			b.WriteString(indent(p.Parser.Script))
		}
		b.WriteString("== bug_inject.diff\n" + diffText(p.BugDiff, color))
		b.WriteString("== test_weaken.diff\n" + diffText(p.WeakenDiff, color))
	}
	if bug := v.Bug; bug != nil {
		fmt.Fprintf(&b, "\n== bug %s: %s, solve rate %s, injector reward %s\n", bug.ID, bug.Status, rateText(bug.SolveRate), rewardText(bug.InjectorReward))
		for _, t := range v.Attempts {
			outcome := "failed"
			if t.Success {
				outcome = "solved"
			}
			why := ""
			if t.Eval != nil && t.Eval.Reason != "" {
				why = ": " + t.Eval.Reason
			}
			fmt.Fprintf(&b, "-- attempt %d %s: %s, reward %+.0f, episode %s, logs %s%s\n", t.Index, t.ID, outcome, t.Reward, dash(t.EpisodeID),
				dash(strings.Join(t.LogIDs, " ")), why)
			if t.Prediction == "" {
				b.WriteString("   (empty prediction)\n")
			} else {
				b.WriteString(diffText(t.Prediction, color))
			}
		}
		if len(v.Children) > 0 {
			b.WriteString("== order-2 bugs made from its failed attempts\n")
			for _, c := range v.Children {
				fmt.Fprintf(&b, "  %s from %s: %s %s\n", c.Artifact, c.Attempt, c.Outcome, c.Bug)
			}
		}
	}
	return b.String()
}

// renderEpisode is the episode view as text: every turn, or only turn `only` (0-based) when it is >= 0.
func renderEpisode(v *episodeView, only int, color bool) string {
	var b strings.Builder
	e := v.Episode
	fmt.Fprintf(&b, "episode %s: %s on %s, agent %s, policy %d, %d turn(s), reward %s\n", e.ID, e.Role, e.Repo, e.Agent, e.PolicyVersion,
		len(v.Steps), rewardText(e.Reward))
	var refs []string
	for _, r := range [][2]string{{"artifact", e.ArtifactID}, {"bug", e.BugID}, {"attempt", e.AttemptID}} {
		if r[1] != "" {
			refs = append(refs, r[0]+" "+r[1])
		}
	}
	if len(refs) > 0 {
		b.WriteString(strings.Join(refs, ", ") + "\n")
	}
	for i, t := range v.Steps {
		if only >= 0 && i != only {
			continue
		}
		b.WriteString("\n" + renderTurn(t, color))
	}
	return b.String()
}

// renderTurn is one turn: the action, what it printed, diffs, the test results.
func renderTurn(t agent.Turn, color bool) string {
	var b strings.Builder
	a := t.Action
	fmt.Fprintf(&b, "== turn %d (%dms): %s\n", t.N, t.Millis, turnSummary(t))
	if m := a.Message; m != nil && m.Content != "" {
		b.WriteString("said:\n" + indent(m.Content))
	}
	if d := a.Decision; d != nil {
		fmt.Fprintf(&b, "chose %d of %d candidates, log-prob %.3f, policy %d\n", d.Chosen, len(d.Rows), d.LogProb, d.PolicyVersion)
		if len(d.Fixes) > 0 {
			fmt.Fprintf(&b, "in hindsight, rows %v would have fixed part of the bug\n", d.Fixes)
		}
	}
	switch a.Tool {
	case agent.ToolCreate:
		b.WriteString("content:\n" + indent(a.Content))
	case agent.ToolReplace:
		b.WriteString(diffText("--- "+a.Path+"\n+++ "+a.Path+"\n"+prefixLines(a.Old, "-")+prefixLines(a.New, "+"), color))
	}
	r := t.Result
	if r.Error != "" {
		b.WriteString("error: " + r.Error + "\n")
	}
	if r.Output != "" {
		out := r.Output
		if looksLikeDiff(out) {
			out = diffText(out, color)
		} else {
			out = indent(out)
		}
		fmt.Fprintf(&b, "output (exit %d%s):\n%s", r.ExitCode, map[bool]string{true: ", truncated"}[r.Truncated], out)
	}
	if len(r.Tests) > 0 {
		fmt.Fprintf(&b, "tests: %d failing, %d broken; not passing:\n", r.Failing, r.Broken)
		for _, id := range slices.Sorted(maps.Keys(r.Tests)) {
			fmt.Fprintf(&b, "  %-8s %s\n", r.Tests[id], id)
		}
	}
	return b.String()
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return prefixLines(s, "  ")
}

func prefixLines(s, p string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString(p + l + "\n")
	}
	return b.String()
}

func looksLikeDiff(s string) bool {
	return strings.HasPrefix(s, "diff --git ") || strings.HasPrefix(s, "--- ")
}

// diffText indents a diff, colouring added and removed lines when color is set.
func diffText(d string, color bool) string {
	if d == "" {
		return "  (empty)\n"
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(d, "\n"), "\n") {
		c := ""
		if color {
			switch {
			case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"), strings.HasPrefix(l, "diff "):
			case strings.HasPrefix(l, "+"):
				c = ansiGreen
			case strings.HasPrefix(l, "-"):
				c = ansiRed
			case strings.HasPrefix(l, "@@"):
				c = ansiCyan
			}
		}
		if c != "" {
			b.WriteString("  " + c + l + ansiReset + "\n")
		} else {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}
