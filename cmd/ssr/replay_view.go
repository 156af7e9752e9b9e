package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
)

// The replay viewer's content, loaded from the store one item at a time: the plain and JSON printers and
// the terminal UI all show these.

// bugView is everything about one artifact: its parts, the validation report, and, when it became a bug,
// F2P, P2P, every attempt and the order-2 bugs made from its failed attempts.
type bugView struct {
	Artifact   store.Artifact     `json:"artifact"`
	Parts      *artifact.Artifact `json:"parts,omitempty"`
	Validation *store.Validation  `json:"validation,omitempty"`
	Notes      *arena.Notes       `json:"notes,omitempty"`
	Logs       []store.LogInfo    `json:"logs,omitempty"`
	Injector   string             `json:"injector_episode,omitempty"`
	Bug        *store.Bug         `json:"bug,omitempty"`
	Attempts   []attemptView      `json:"attempts,omitempty"`
	Children   []childView        `json:"order2_children,omitempty"`
}

// attemptView is one attempt with its evaluation decoded.
type attemptView struct {
	store.Attempt
	Eval *arena.Evaluation `json:"evaluation,omitempty"`
}

// childView is an order-2 artifact built from one of the bug's attempts.
type childView struct {
	Artifact string `json:"artifact"`
	Attempt  string `json:"parent_attempt"`
	Bug      string `json:"bug,omitempty"`
	Outcome  string `json:"outcome"`
}

// episodeView is one episode with its turns decoded.
type episodeView struct {
	store.Episode
	Steps []agent.Turn `json:"steps"`
}

// loadBug loads the bug view of an artifact or bug id.
func loadBug(ctx context.Context, st *store.Store, id string) (*bugView, error) {
	artID := id
	if b, err := st.GetBug(ctx, id); err == nil {
		artID = b.ArtifactID
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	a, err := st.GetArtifact(ctx, artID)
	if err != nil {
		return nil, err
	}
	v := &bugView{Artifact: a}
	if p, err := artifact.UnmarshalJSON("artifact "+a.ID, a.Parts); err == nil {
		v.Parts = p
	}
	v.Artifact.Parts = nil // shown decoded
	if val, err := st.GetValidation(ctx, a.ID); err == nil {
		v.Validation = &val
		if len(val.Notes) > 0 {
			var n arena.Notes
			if json.Unmarshal(val.Notes, &n) == nil {
				v.Notes = &n
			}
		}
		v.Validation.Notes = nil
		if v.Logs, err = st.LogInfos(ctx, val.LogIDs); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	eps, err := st.ListEpisodes(ctx, a.Job, store.EpisodeFilter{Role: store.RoleInjector, ArtifactID: a.ID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(eps) == 1 {
		v.Injector = eps[0].ID
	}
	b, err := st.BugOfArtifact(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	v.Bug = &b
	atts, err := st.Attempts(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range atts {
		av := attemptView{Attempt: t}
		if len(t.Details) > 0 {
			var ev arena.Evaluation
			if json.Unmarshal(t.Details, &ev) == nil {
				av.Eval = &ev
			}
		}
		av.Details = nil
		v.Attempts = append(v.Attempts, av)
	}
	kids, err := st.ChildArtifacts(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		c := childView{Artifact: k.ID, Attempt: k.ParentAttempt, Outcome: store.OutcomePending}
		if kv, err := st.GetValidation(ctx, k.ID); err == nil {
			c.Outcome = store.OutcomeRejected
			if kv.Valid {
				c.Outcome = store.OutcomeValid
				if kb, err := st.BugOfArtifact(ctx, k.ID); err == nil {
					c.Bug = kb.ID
				}
			}
		}
		v.Children = append(v.Children, c)
	}
	return v, nil
}

// loadEpisode loads an episode with its turns.
func loadEpisode(ctx context.Context, st *store.Store, id string) (*episodeView, error) {
	e, err := st.GetEpisode(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &episodeView{Episode: e}
	if len(e.Turns) > 0 {
		if err := json.Unmarshal(e.Turns, &v.Steps); err != nil {
			return nil, fmt.Errorf("episode %s: its turns are not agent turns: %w", id, err)
		}
	}
	v.Turns = nil
	return v, nil
}

// validationSteps are validation's steps in order.
var validationSteps = []string{"static", "parser", "original", "bug", "weaken", "inverse"}

// stepLines describes a validation step by step: every step passed, the step that rejected it with the reason.
func stepLines(v *store.Validation) []string {
	if v == nil {
		return []string{"not validated yet"}
	}
	var out []string
	if v.Step == "order2" || v.Step == "collect" {
		mark := "✓"
		if !v.Valid {
			mark = "✗"
		}
		return []string{fmt.Sprintf("%s %s %s", mark, v.Step, v.Reason)}
	}
	for _, s := range validationSteps {
		d := ""
		if dur, ok := v.Durations[s]; ok {
			d = " (" + dur.Round(1e6).String() + ")"
		}
		if s == v.Step && !v.Valid {
			out = append(out, fmt.Sprintf("✗ %s%s: %s", s, d, v.Reason))
			break
		}
		out = append(out, "✓ "+s+d)
		if s == v.Step {
			break
		}
	}
	return out
}

// turnSummary is a turn's action in one line.
func turnSummary(t agent.Turn) string {
	a := t.Action
	var s string
	switch {
	case a.Invalid != "":
		s = "invalid: " + a.Invalid
	case a.Command != "":
		s = a.Tool + " $ " + a.Command
	case a.Path != "":
		s = a.Tool + " " + a.Path
	case a.Tool == agent.ToolApply && a.Decision != nil && a.Candidate < len(a.Decision.Rows):
		s = fmt.Sprintf("apply #%d", a.Candidate)
	default:
		s = a.Tool
	}
	if len(t.Result.Sites) > 0 {
		s += " [" + strings.Join(t.Result.Sites, ", ") + "]"
	}
	return firstLine(s, 120)
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n-1] + "…"
	}
	return s
}
