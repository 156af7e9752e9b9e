package arena

import (
	"context"
	"fmt"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// roleRules is what differs between the injector's episodes and the solver's: which candidates a structured
// agent is offered, what run_tests runs, and what submit hands in. The loop (episode.run) is the same for both.
type roleRules interface {
	// candidates builds the structured agent's candidates in the episode's current state.
	candidates(ctx context.Context, e *episode) ([]candidate, error)
	// runTests runs the role's tests in the sandbox as it is now.
	runTests(ctx context.Context, e *episode) (agent.Result, error)
	// submit hands the work in; the episode ends after it.
	submit(ctx context.Context, e *episode) (agent.Result, error)
}

// episode is one run of an agent in one role, in one sandbox: the arena hands the agent an observation, the
// agent returns an action, the arena carries it out and records the turn, until the agent submits or the
// turns or the wall clock run out.
type episode struct {
	id       string
	task     agent.Task
	ag       agent.Agent
	sb       sandbox.Sandbox
	rules    roleRules
	ws       *workspace
	maxTurns int
	deadline time.Time
	tools    toolLimits

	turns     []agent.Turn
	seen      []agent.Turn // turns as the agent sees them: hindsight (Decision.Fixes) left out
	invalid   int          // actions answered as invalid
	ended     string       // why the episode ended: submit, turns, wall clock
	keptTurn  int          // the turn whose state revert returns to (-1: the start)
	lastTests *testState
}

// testState is the last run_tests of the episode and the workspace version it ran on.
type testState struct {
	run     *TestRun
	broken  []string // injector: originally passing tests that now report a failure or error
	version int
}

// Why an episode ended.
const (
	endSubmit    = "submit"
	endTurns     = "turns"
	endWallClock = "wall clock"
)

// run drives the episode. An error from the agent's Act ends the episode as failed with that reason; an
// error carrying out an action is an infrastructure failure. Both are returned wrapped; a clock that runs
// out is a normal end, not an error.
func (e *episode) run(ctx context.Context) error {
	structured := agent.IsStructured(e.ag)
	e.keptTurn = -1
	for n := 0; n < e.maxTurns; n++ {
		if ctx.Err() != nil || (!e.deadline.IsZero() && time.Now().After(e.deadline)) {
			e.ended = endWallClock
			return nil
		}
		obs := &agent.Observation{Episode: e.id, Task: e.task, Turn: n, TurnsLeft: e.maxTurns - n, Deadline: e.deadline,
			History: e.seen[:len(e.seen):len(e.seen)], Kept: n - e.keptTurn}
		var cands []candidate
		if structured {
			var err error
			if cands, err = e.rules.candidates(ctx, e); err != nil {
				if ctx.Err() != nil {
					e.ended = endWallClock
					return nil
				}
				return fmt.Errorf("turn %d: candidates: %w", n, err)
			}
			obs.Candidates = make([]agent.Candidate, len(cands))
			for i, c := range cands {
				obs.Candidates[i] = c.Candidate
			}
		}
		act, err := e.ag.Act(ctx, obs)
		if err != nil {
			if ctx.Err() != nil {
				e.ended = endWallClock
				return nil
			}
			return fmt.Errorf("agent %s failed at turn %d: %w", e.ag.Name(), n, err)
		}
		if act, err = e.hindsight(ctx, act, cands); err != nil {
			if ctx.Err() != nil {
				e.ended = endWallClock
				return nil
			}
			return fmt.Errorf("turn %d: hindsight: %w", n, err)
		}
		start := time.Now()
		res, err := e.carry(ctx, act, cands, structured)
		if err != nil {
			if ctx.Err() != nil {
				e.ended = endWallClock
				return nil
			}
			return fmt.Errorf("turn %d (%s): %w", n, act.Tool, err)
		}
		turn := agent.Turn{N: n, Action: act, Result: res, Started: start, Millis: time.Since(start).Milliseconds()}
		e.turns = append(e.turns, turn)
		e.seen = append(e.seen, withoutHindsight(turn))
		if act.Tool == agent.ToolKeep && res.Error == "" {
			e.keptTurn = n
		}
		if act.Tool == agent.ToolSubmit && act.Invalid == "" {
			e.ended = endSubmit
			return nil
		}
	}
	e.ended = endTurns
	return nil
}

// carry carries out one action. An action the arena cannot carry out (invalid, an unknown tool, a candidate
// that does not exist) is answered with an error result and counted, never an error of the episode.
func (e *episode) carry(ctx context.Context, act agent.Action, cands []candidate, structured bool) (agent.Result, error) {
	if act.Invalid != "" {
		return e.invalidAction("invalid action: " + act.Invalid), nil
	}
	switch act.Tool {
	case agent.ToolBash:
		return bash(ctx, e.sb, e.task.Workdir, act.Command, e.tools), nil
	case agent.ToolView:
		return view(ctx, e.sb, e.task.Workdir, act.Path, act.Lines), nil
	case agent.ToolCreate:
		return e.ws.create(ctx, e.task.Workdir, act.Path, act.Content)
	case agent.ToolReplace:
		return e.ws.replace(ctx, e.task.Workdir, act.Path, act.Old, act.New)
	case agent.ToolRunTests:
		return e.rules.runTests(ctx, e)
	case agent.ToolSubmit:
		return e.rules.submit(ctx, e)
	case agent.ToolKeep:
		e.ws.keep()
		return agent.Result{Output: "kept: revert returns here"}, nil
	case agent.ToolRevert:
		n, err := e.ws.revert(ctx)
		if err != nil {
			return agent.Result{}, err
		}
		return agent.Result{Output: fmt.Sprintf("reverted %d file(s) to the kept state", n)}, nil
	case agent.ToolApply:
		if !structured || len(cands) == 0 {
			return e.invalidAction("apply: there are no candidates to apply"), nil
		}
		if act.Candidate < 0 || act.Candidate >= len(cands) {
			return e.invalidAction(fmt.Sprintf("apply: candidate %d does not exist (there are %d, numbered from 0)", act.Candidate, len(cands))), nil
		}
		return e.ws.apply(ctx, e.task.Repo, cands[act.Candidate])
	}
	return e.invalidAction(fmt.Sprintf("unknown tool %q (use %s, %s, %s, %s, %s, %s, %s, %s or %s)", act.Tool,
		agent.ToolBash, agent.ToolView, agent.ToolCreate, agent.ToolReplace, agent.ToolSubmit,
		agent.ToolApply, agent.ToolRunTests, agent.ToolRevert, agent.ToolKeep)), nil
}

func (e *episode) invalidAction(why string) agent.Result {
	e.invalid++
	return agent.Result{Error: why}
}

// Turn budgets. The job config counts the native agent's tries (InjectorTurns: changes tried; SolverTurns:
// edits tried); an episode's budget in turns follows from what one try takes.
const (
	maxInjectSites   = 3 // a mutation changes 1–3 sites (the job's draw)
	injectTryTurns   = maxInjectSites + 2
	solverEditTurns  = 3 // apply, run_tests, keep or revert
	solverSetupTurns = 2 // write the spec's tests back, the first run
	closingTurns     = 2 // the best guess and submit
)

// An agent that writes code gets the job's turn budgets as they are (arena.injector_max_turns,
// arena.solver_max_turns).
func (a *Arena) injectorTurns(ag agent.Agent) int {
	if !agent.IsStructured(ag) {
		return a.cfg.InjectorMaxTurns
	}
	return a.cfg.InjectorTurns*injectTryTurns + 1
}

func (a *Arena) solverTurns(ag agent.Agent) int {
	if !agent.IsStructured(ag) {
		return a.cfg.SolverMaxTurns
	}
	return solverSetupTurns + a.cfg.SolverTurns*solverEditTurns + closingTurns
}
