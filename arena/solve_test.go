package arena

import (
	"context"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent/native"
)

// TestNativeSolverRepairsAMutation: the native solver, led by the failing output, finds and undoes a
// single arithmetic mutation in at least one of a few seeded attempts; its predictions touch source only.
func TestNativeSolverRepairsAMutation(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2; c.SolverTurns = 6 }))
	ctx := context.Background()
	art := moneyBug(t, repo)
	rep, err := ar.Validate(ctx, repo, art)
	if err != nil || !rep.Valid {
		t.Fatalf("the money bug must be valid: %v %v", err, rep.Rejection)
	}
	bug := &Bug{ID: "bug-native", Artifact: art, Diffs: rep.Diffs, Order: 1, F2P: rep.F2P, P2P: rep.P2P}
	ag := native.New(native.Uniform{}, 7)
	solved := 0
	for i := 0; i < 3; i++ {
		att, err := ar.Solve(ctx, repo, bug, ag, i)
		if err != nil {
			t.Fatal(err)
		}
		if att.Eval.Success {
			solved++
		}
		if len(att.Turns) < 2 {
			t.Errorf("attempt %d has %d turns", i, len(att.Turns))
		}
		for _, turn := range att.Turns {
			t.Logf("attempt %d turn %d %s: %s %s", i, turn.N, turn.Action.Tool, turn.Result.Error, firstLine(turn.Result.Output))
		}
	}
	if solved == 0 {
		t.Fatalf("no attempt of 3 repaired a one-site arithmetic mutation")
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
