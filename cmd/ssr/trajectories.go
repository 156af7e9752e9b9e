package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/llm"
	"github.com/selfplay-swe/ssr/arena/store"
)

// trajectory is one line of `ssr export --format trajectories`: one episode as chat messages, with what an
// outside RL trainer needs to weigh it.
type trajectory struct {
	Episode       string   `json:"episode"`
	Job           string   `json:"job"`
	Role          string   `json:"role"`
	Repo          string   `json:"repo"`
	Agent         string   `json:"agent"`
	PolicyVersion int64    `json:"policy_version"`
	Reward        *float64 `json:"reward"`    // null: not rewarded yet (the bug's attempts are not all in)
	Advantage     *float64 `json:"advantage"` // null where none was computed (injectors today)
	// Group is the advantage group, as the store's reward_groups view names it: "bug:ID" for a solver (the
	// attempts on one bug), "repo:NAME" for an injector (the injector batch of one repository).
	Group      string `json:"group,omitempty"`
	Strategy   string `json:"strategy,omitempty"` // injector
	ArtifactID string `json:"artifact_id,omitempty"`
	BugID      string `json:"bug_id,omitempty"`
	AttemptID  string `json:"attempt_id,omitempty"`
	Turns      int    `json:"n_turns"`
	// Messages is the chat: for a model's episode, llm.Transcript (system, task, then every assistant reply
	// and the tool or user message that answered it, with usage, latency, sampling and log-probabilities);
	// for a structured agent's, one assistant tool call per turn and the tool message with its result.
	Messages []agent.Message `json:"messages"`
	// Decisions are a structured agent's choices, one per turn that chose among candidates: the rows, the
	// chosen index, its log-probability and the acting policy version.
	Decisions []agent.Decision `json:"decisions,omitempty"`
}

// writeTrajectories writes every episode of job as one JSON line, in the order they started, and returns
// how many it wrote.
func writeTrajectories(ctx context.Context, st *store.Store, job string, out io.Writer) (int, error) {
	if _, err := st.GetJob(ctx, job); err != nil {
		return 0, err
	}
	groups := map[string]string{}
	for _, role := range []store.Role{store.RoleInjector, store.RoleSolver} {
		gs, err := st.RewardGroups(ctx, job, role)
		if err != nil {
			return 0, err
		}
		for _, g := range gs {
			for _, m := range g.Members {
				groups[m.EpisodeID] = g.Key
			}
		}
	}
	eps, err := st.ListEpisodes(ctx, job, store.EpisodeFilter{})
	if err != nil {
		return 0, err
	}
	strategies := map[string]string{} // artifact → strategy
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range eps {
		raw, err := st.EpisodeTurns(ctx, e.ID)
		if err != nil {
			return 0, err
		}
		var turns []agent.Turn
		if err := json.Unmarshal(raw, &turns); err != nil {
			return 0, fmt.Errorf("episode %s: turns: %w", e.ID, err)
		}
		tr := trajectory{Episode: e.ID, Job: e.Job, Role: string(e.Role), Repo: e.Repo, Agent: e.Agent,
			PolicyVersion: e.PolicyVersion, Reward: e.Reward, Advantage: e.Advantage, Group: groups[e.ID],
			ArtifactID: e.ArtifactID, BugID: e.BugID, AttemptID: e.AttemptID, Turns: len(turns)}
		if e.Role == store.RoleInjector && e.ArtifactID != "" {
			s, ok := strategies[e.ArtifactID]
			if !ok {
				a, err := st.GetArtifact(ctx, e.ArtifactID)
				if err != nil {
					return 0, err
				}
				s, strategies[e.ArtifactID] = a.Strategy, a.Strategy
			}
			tr.Strategy = s
		}
		if chat(turns) {
			// The task is a fallback only: a model's first reply records the system and task messages as sent.
			task := agent.Task{Role: agent.Role(e.Role), Strategy: tr.Strategy, Repo: e.Repo}
			tr.Messages = llm.Transcript(task, turns)
		} else {
			tr.Messages, tr.Decisions = structuredMessages(turns)
		}
		if err := enc.Encode(tr); err != nil {
			return 0, err
		}
	}
	return len(eps), w.Flush()
}

// chat tells an episode played by a model (its replies are recorded as messages).
func chat(turns []agent.Turn) bool {
	for _, t := range turns {
		if t.Action.Message != nil {
			return true
		}
	}
	return false
}

// structuredMessages renders a structured agent's turns as chat messages: per turn, an assistant message
// whose one tool call is the action (its name and arguments: the candidate index for apply, nothing for
// run_tests, keep, revert and submit) with the chosen candidate's description as content, then the tool
// message with the result (its output, then its error). The decisions come alongside.
func structuredMessages(turns []agent.Turn) ([]agent.Message, []agent.Decision) {
	var msgs []agent.Message
	var decs []agent.Decision
	for i, t := range turns {
		a := t.Action
		args := map[string]any{}
		content := ""
		switch a.Tool {
		case agent.ToolApply:
			args["candidate"] = a.Candidate
		case agent.ToolBash:
			args["command"] = a.Command
		case agent.ToolView, agent.ToolCreate, agent.ToolReplace:
			args["path"] = a.Path
		}
		if d := a.Decision; d != nil {
			decs = append(decs, *d)
			if d.Chosen >= 0 && d.Chosen < len(d.Rows) {
				content = d.Rows[d.Chosen].Description
			}
		}
		b, _ := json.Marshal(args)
		id := fmt.Sprintf("call_%d", i)
		msgs = append(msgs, agent.Message{Role: "assistant", Content: content,
			ToolCalls: []agent.ToolCall{{ID: id, Name: a.Tool, Arguments: string(b)}}})
		result := t.Result.Output
		if t.Result.Error != "" {
			if result != "" {
				result += "\n"
			}
			result += "error: " + t.Result.Error
		}
		msgs = append(msgs, agent.Message{Role: "tool", ToolCallID: id, Content: result})
	}
	return msgs, decs
}
