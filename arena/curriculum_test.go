package arena

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestStageFor: the first stage until there are enough attempts, then the stage the recent solve rate
// reaches, falling back when the rate falls.
func TestStageFor(t *testing.T) {
	tests := map[string]struct {
		attempts, solved int
		want             string
	}{
		"a new job":                       {0, 0, "single"},
		"too few attempts, all solved":    {curriculumMinAttempts - 1, curriculumMinAttempts - 1, "single"},
		"enough attempts, none solved":    {curriculumMinAttempts, 0, "single"},
		"just below multi":                {50, 14, "single"},
		"multi at 0.30":                   {50, 15, "multi"},
		"multi just below all":            {50, 24, "multi"},
		"all at 0.50":                     {50, 25, "all"},
		"all solved":                      {50, 50, "all"},
		"the minimum number, half solved": {curriculumMinAttempts, curriculumMinAttempts / 2, "all"},
		"the wider stage is harder: back": {50, 10, "single"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := stageFor(tc.attempts, tc.solved); got.Name != tc.want {
				t.Errorf("stageFor(%d, %d) = %s, want %s", tc.attempts, tc.solved, got.Name, tc.want)
			}
		})
	}
}

// TestCurriculumStages: the stages widen in order (more sites, then operators with no one-edit inverse),
// and every operator of a stage before the last has its inverse among the solver's edits.
func TestCurriculumStages(t *testing.T) {
	for i, st := range curriculum {
		if i > 0 {
			prev := curriculum[i-1]
			if st.Enter <= prev.Enter || st.MaxSites < prev.MaxSites || len(st.Operators) < len(prev.Operators) {
				t.Errorf("stage %s does not widen %s", st.Name, prev.Name)
			}
		}
		for _, op := range st.Operators {
			if !slices.Contains(injectorOps(StrategyMutation), op) {
				t.Errorf("stage %s offers %s, which the mutation strategy does not use", st.Name, op)
			}
			if i < len(curriculum)-1 && !slices.Contains(solverOps, op) {
				t.Errorf("stage %s offers %s, which no solver edit undoes", st.Name, op)
			}
		}
	}
	if curriculum[0].MaxSites != 1 {
		t.Errorf("the first stage changes up to %d sites, want 1", curriculum[0].MaxSites)
	}
	last := curriculum[len(curriculum)-1]
	for _, op := range []string{plugin.OpRemoveStatement, plugin.OpDefaultReturn} {
		if !slices.Contains(last.Operators, op) || slices.Contains(curriculum[0].Operators, op) {
			t.Errorf("%s: want it in the last stage only", op)
		}
	}
	for _, op := range plugin.InvertibleOperators {
		if !slices.Contains(solverOps, op) {
			t.Errorf("invertible operator %s is not among the solver's edits", op)
		}
	}
}

type fakeRates struct {
	attempts, solved int
	err              error
}

func (f fakeRates) RecentSolves(context.Context, string, int) (int, int, error) {
	return f.attempts, f.solved, f.err
}

// TestPlanStage: the plan gets the stage's operators and 1..MaxSites sites, and the job's generator is
// drawn from the same number of times at every stage.
func TestPlanStage(t *testing.T) {
	tests := map[string]struct {
		rates     fakeRates
		stage     string
		wantSites []int
	}{
		"single":      {fakeRates{0, 0, nil}, "single", []int{1}},
		"multi":       {fakeRates{50, 20, nil}, "multi", []int{1, 2, 3}},
		"all":         {fakeRates{50, 40, nil}, "all", []int{1, 2, 3}},
		"store error": {fakeRates{err: errors.New("database is locked")}, "", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			gen, ref := newJobGen(1), newJobGen(1)
			seen := map[int]bool{}
			for range 60 {
				plan := InjectPlan{Strategy: StrategyMutation}
				err := planStage(context.Background(), tc.rates, "job", gen, &plan)
				if tc.rates.err != nil {
					if err == nil {
						t.Fatal("no error from a failing store")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				ref.IntN(maxInjectSites)
				if plan.Stage != tc.stage || !slices.Equal(plan.operators(), stageFor(tc.rates.attempts, tc.rates.solved).Operators) {
					t.Fatalf("plan stage %s operators %v, want stage %s", plan.Stage, plan.Operators, tc.stage)
				}
				seen[plan.Sites] = true
			}
			for _, n := range tc.wantSites {
				if !seen[n] {
					t.Errorf("never %d sites in 60 plans: %v", n, seen)
				}
			}
			if len(seen) != len(tc.wantSites) {
				t.Errorf("sites drawn %v, want %v", seen, tc.wantSites)
			}
			if gen.Uint64() != ref.Uint64() {
				t.Errorf("the generator drifted: the stage changed how often it is drawn from")
			}
		})
	}
}
