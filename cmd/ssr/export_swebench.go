package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/selfplay-swe/ssr/arena/store"
)

// sweInstance is one bug as a SWE-bench-style task instance (one JSON object a line).
//
// The repository at base_commit is the original, working code. ssr_setup_patch turns it into the bug's
// state as ssr's solvers met it (the bug diff, the weakening that hid the tests and, for order 2, the failed
// prediction applied on top). From that state, test_patch (the spec) puts the hidden tests back, and patch
// (the gold fix) makes FAIL_TO_PASS pass while PASS_TO_PASS keeps passing; the two touch disjoint files, so
// they apply in either order. Applying all three gives base_commit's files back.
type sweInstance struct {
	InstanceID       string   `json:"instance_id"`
	Repo             string   `json:"repo"`
	BaseCommit       string   `json:"base_commit"`
	Patch            string   `json:"patch"`
	TestPatch        string   `json:"test_patch"`
	ProblemStatement string   `json:"problem_statement"`
	HintsText        string   `json:"hints_text"`
	FailToPass       []string `json:"FAIL_TO_PASS"`
	PassToPass       []string `json:"PASS_TO_PASS"`
	CreatedAt        string   `json:"created_at"`
	ImageName        string   `json:"image_name"`
	ImageDigest      string   `json:"image_digest"`

	// ssr's own fields.
	Job           string   `json:"ssr_job"`
	BugID         string   `json:"ssr_bug_id"`
	ArtifactID    string   `json:"ssr_artifact_id"`
	Order         int      `json:"ssr_order"`
	ParentBug     string   `json:"ssr_parent_bug,omitempty"`
	Strategy      string   `json:"ssr_strategy"`
	SolveRate     *float64 `json:"ssr_solve_rate"` // null until every attempt is evaluated
	PolicyVersion int64    `json:"ssr_policy_version"`
	Agent         string   `json:"ssr_agent"`
	Language      string   `json:"ssr_language,omitempty"`
	SetupPatch    string   `json:"ssr_setup_patch"`
	TestScript    string   `json:"ssr_test_script"` // run from /repo; its output is the parser's input
	Parser        string   `json:"ssr_parser"`      // a builtin parser's name or a script parser's file name
	ParserScript  string   `json:"ssr_parser_script,omitempty"`
	TestFiles     []string `json:"ssr_test_files"`
}

// exportSWEBench writes one SWE-bench-style instance per valid bug of job that f selects, as JSONL.
func exportSWEBench(ctx context.Context, st *store.Store, job string, f exportFilter, w io.Writer) error {
	bugs, err := exportBugs(ctx, st, job, f)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range bugs {
		if err := enc.Encode(sweInstanceOf(job, &bugs[i])); err != nil {
			return fmt.Errorf("export bug %s: %w", bugs[i].Bug.ID, err)
		}
	}
	return nil
}

func sweInstanceOf(job string, b *exportedBug) sweInstance {
	bug, art := b.Bug, b.Artifact
	spec := b.spec().String()
	return sweInstance{
		InstanceID:       bug.Repo + "__" + bug.ID,
		Repo:             bug.Repo,
		BaseCommit:       b.Repo.Commit,
		Patch:            b.fix().String(),
		TestPatch:        spec,
		ProblemStatement: problemStatement(spec, bug.F2P),
		FailToPass:       nonNil(bug.F2P),
		PassToPass:       nonNil(bug.P2P),
		CreatedAt:        bug.Created.UTC().Format(time.RFC3339),
		ImageName:        b.Repo.ImageRef,
		ImageDigest:      b.Repo.ImageID,
		Job:              job,
		BugID:            bug.ID,
		ArtifactID:       art.ID,
		Order:            bug.Order,
		ParentBug:        bug.ParentBug,
		Strategy:         art.Strategy,
		SolveRate:        bug.SolveRate,
		PolicyVersion:    art.PolicyVersion,
		Agent:            art.Agent,
		Language:         b.Repo.Language,
		SetupPatch:       b.setup().String(),
		TestScript:       b.Parts.TestScript,
		Parser:           b.Parts.Parser.String(),
		ParserScript:     b.Parts.Parser.Script,
		TestFiles:        nonNil(b.Parts.TestFiles),
	}
}

// problemStatement is the task in words, made from the spec alone (as ssr's solvers are told it): no
// description of the bug, only the tests it breaks.
func problemStatement(spec string, f2p []string) string {
	var s strings.Builder
	s.WriteString("The code in this repository has a bug. The test changes below specify the expected behaviour; ")
	s.WriteString("with them applied, these tests fail and must pass once the code is fixed (fix the code, not the tests):\n\n")
	for _, id := range f2p {
		s.WriteString("- " + id + "\n")
	}
	s.WriteString("\n```diff\n" + spec)
	if !strings.HasSuffix(spec, "\n") {
		s.WriteString("\n")
	}
	s.WriteString("```\n")
	return s.String()
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
