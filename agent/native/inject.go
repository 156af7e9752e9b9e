package native

import (
	"context"

	"github.com/selfplay-swe/ssr/agent"
)

// inject is the injector's policy: apply Task.Sites candidates (the job's draw; one when unset), run the
// tests, and submit when originally passing tests now fail; otherwise revert and try again while turns
// remain. When too few turns remain for another try, the last change is handed in as it is, so that its
// rejection is on record rather than hidden.
func (n *Agent) inject(ctx context.Context, obs *agent.Observation) (agent.Action, error) {
	sites := max(1, obs.Task.Sites)
	submit := agent.Action{Tool: agent.ToolSubmit}
	if obs.TurnsLeft <= 1 {
		return submit, nil
	}
	applied := 0 // successful applies since the start or the last revert
	for _, t := range obs.History {
		switch t.Action.Tool {
		case agent.ToolApply:
			if t.Result.Error == "" {
				applied++
			}
		case agent.ToolRevert:
			applied = 0
		}
	}
	if last := obs.Last(); last != nil && last.Action.Tool == agent.ToolRunTests {
		if last.Result.Broken > 0 || obs.TurnsLeft-1 < sites+2 {
			return submit, nil // broke tests; or no turns for another try (revert, applies, run_tests, submit)
		}
		return agent.Action{Tool: agent.ToolRevert}, nil
	}
	switch {
	case applied >= sites:
		return agent.Action{Tool: agent.ToolRunTests}, nil
	case len(obs.Candidates) == 0 || obs.TurnsLeft < sites-applied+2:
		if applied > 0 {
			return agent.Action{Tool: agent.ToolRunTests}, nil
		}
		return submit, nil
	}
	d, err := n.Choose(ctx, agent.Injector, obs.Candidates)
	if err != nil {
		return agent.Action{}, err
	}
	return apply(d.Chosen, d), nil
}
