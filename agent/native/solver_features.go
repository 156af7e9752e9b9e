package native

import (
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
)

// The solver's per-candidate features, what a trained policy weighs beside the hashed tokens of the
// candidate itself (policy.Featurise hashes them by name; a feature added here needs training, not a schema
// change). rank adds output_priority; solverFeatures adds the rest:
//
//	filter_rank            the candidate's place in rank's order (0 is the best), and so in the pre-filter
//	frame_same_file        1 when a file:line frame of the failing output names the candidate's file
//	frame_near             1/(1+d) for the nearest such frame, d lines away (0 when none names the file)
//	failing_test_dir       1 when the candidate's file sits in the directory (or Go package) of a failing test
//	spec_overlap           words the enclosing function shares with the identifiers of the spec (the hidden tests)
//	tried_same_function    edits this episode already applied in the same function
//	tried_same_file        the same, in the same file
//	tried_near             1/(1+d) for the nearest edit already applied in the same file, d lines away
//	best_delta_function    the most an earlier edit in the same function lowered the failing count (negative: raised)
//	best_delta_file        the same, in the same file
//	no_delta_same_site     1 when an earlier edit at the same line left the failing count as it was
const (
	featFilterRank       = "filter_rank"
	featFrameSameFile    = "frame_same_file"
	featFrameNear        = "frame_near"
	featFailingTestDir   = "failing_test_dir"
	featSpecOverlap      = "spec_overlap"
	featTriedFunction    = "tried_same_function"
	featTriedFile        = "tried_same_file"
	featTriedNear        = "tried_near"
	featBestDeltaFunc    = "best_delta_function"
	featBestDeltaFile    = "best_delta_file"
	featNoDeltaSameSite  = "no_delta_same_site"
	maxSpecOverlapCounts = 6
)

// frameRE finds file:line frames in test output: Python's `File "/repo/a/b.py", line 12` and pytest's
// `a/b.py:12:`, Go's `b.go:12:` (and `/repo/a/b.go:12 +0x..` in panics).
var frameRE = regexp.MustCompile(`(?:File "([^"]+)", line (\d+))|([\w./-]+\.\w+):(\d+)`)

// frame is one file:line the failing output points at.
type frame struct {
	file string
	line int
}

func frames(output string) []frame {
	var out []frame
	for _, m := range frameRE.FindAllStringSubmatch(output, -1) {
		file, line := m[1], m[2]
		if file == "" {
			file, line = m[3], m[4]
		}
		n, err := strconv.Atoi(line)
		if err != nil {
			continue
		}
		out = append(out, frame{file: strings.TrimPrefix(file, "/repo/"), line: n})
	}
	return out
}

// sameFile reports whether a frame's path names a repository file: the same path, or one ends with the other
// (Go prints base names, tracebacks absolute paths).
func sameFile(framePath, file string) bool {
	return framePath == file || strings.HasSuffix(file, "/"+framePath) || strings.HasSuffix(framePath, "/"+file)
}

// editOutcome is an edit the episode applied and what it did to the failing count.
type editOutcome struct {
	cand  agent.Candidate
	delta int  // failing before − failing after (positive: it helped)
	known bool // the edit was run
}

// editOutcomes lists the episode's applied edits with the failing counts that judged them: each apply is
// compared with the kept state's count before it.
func editOutcomes(h []agent.Turn) []editOutcome {
	var out []editOutcome
	best, started := 0, false
	var pending *editOutcome
	for _, t := range h {
		switch t.Action.Tool {
		case agent.ToolRunTests:
			if !started {
				best, started = t.Result.Failing, true
				continue
			}
			if pending != nil && !pending.known {
				pending.delta, pending.known = best-t.Result.Failing, true
			}
		case agent.ToolApply:
			if c, ok := chosen(t); ok && t.Result.Error == "" {
				out = append(out, editOutcome{cand: c})
				pending = &out[len(out)-1]
			}
		case agent.ToolKeep:
			if pending != nil && pending.known {
				best -= pending.delta
			}
			pending = nil
		case agent.ToolRevert:
			pending = nil
		}
	}
	return out
}

// solverFeatures adds the episode's features to ranked candidates (rank's copies, never the observation's):
// rs in rank's order.
func solverFeatures(rs []ranked, obs *agent.Observation, first *agent.Turn, failing []string) {
	fs := frames(first.Result.Output)
	dirs := map[string]bool{}
	for _, id := range failing {
		if pkg, _, ok := strings.Cut(id, "::"); ok {
			dirs[path.Dir(pkg)] = true // a Python test file's directory
			dirs[pkg] = true           // a Go test's import path
		}
	}
	specWords := map[string]bool{}
	for _, w := range words(specIdentifiers(obs.Task.Spec)) {
		specWords[w] = true
	}
	edits := editOutcomes(obs.History)
	for i := range rs {
		c := &rs[i].cand
		f := c.Features // rank made it this candidate's own map
		f[featFilterRank] = float64(i)
		near := -1
		for _, fr := range fs {
			if !sameFile(fr.file, c.File) {
				continue
			}
			f[featFrameSameFile] = 1
			if d := abs(fr.line - c.Line); near < 0 || d < near {
				near = d
			}
		}
		if near >= 0 && c.Line > 0 {
			f[featFrameNear] = 1 / float64(1+near)
		}
		d := path.Dir(c.File)
		for dir := range dirs {
			if dir == d || strings.HasSuffix(dir, "/"+d) {
				f[featFailingTestDir] = 1
				break
			}
		}
		shared := 0
		for _, w := range words(c.Function) {
			if specWords[w] {
				shared++
			}
		}
		if shared > 0 {
			f[featSpecOverlap] = float64(min(shared, maxSpecOverlapCounts))
		}
		addEditFeatures(f, *c, edits)
	}
}

// addEditFeatures records what the episode's earlier edits near c did.
func addEditFeatures(f map[string]float64, c agent.Candidate, edits []editOutcome) {
	nearest := -1
	var bestFn, bestFile *int
	for _, e := range edits {
		if e.cand.File != c.File {
			continue
		}
		f[featTriedFile]++
		if d := abs(e.cand.Line - c.Line); nearest < 0 || d < nearest {
			nearest = d
		}
		if e.known {
			if bestFile == nil || e.delta > *bestFile {
				bestFile = &e.delta
			}
			if e.cand.Line == c.Line && e.delta == 0 {
				f[featNoDeltaSameSite] = 1
			}
		}
		if c.Function != "" && e.cand.Function == c.Function {
			f[featTriedFunction]++
			if e.known && (bestFn == nil || e.delta > *bestFn) {
				bestFn = &e.delta
			}
		}
	}
	if nearest >= 0 {
		f[featTriedNear] = 1 / float64(1+nearest)
	}
	if bestFn != nil {
		f[featBestDeltaFunc] = float64(*bestFn)
	}
	if bestFile != nil {
		f[featBestDeltaFile] = float64(*bestFile)
	}
}

// specIdentifiers is the text of the spec's added and removed lines (the hidden tests), without diff headers.
func specIdentifiers(spec string) string {
	var b strings.Builder
	for _, l := range strings.Split(spec, "\n") {
		if strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "---") {
			continue
		}
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			b.WriteString(l[1:])
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
