package arena

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestStageFor: the first stage until there are enough attempts, then the stage the recent solve rate
// reaches, falling back when the rate falls, and never past the widest stage the config allows.
func TestStageFor(t *testing.T) {
	tests := map[string]struct {
		attempts, solved int
		want             string
		widest           string
	}{
		"a new job":                       {0, 0, "single", "all"},
		"too few attempts, all solved":    {curriculumMinAttempts - 1, curriculumMinAttempts - 1, "single", "all"},
		"enough attempts, none solved":    {curriculumMinAttempts, 0, "single", "all"},
		"just below multi":                {50, 14, "single", "all"},
		"multi at 0.30":                   {50, 15, "multi", "all"},
		"multi just below all":            {50, 24, "multi", "all"},
		"all at 0.50":                     {50, 25, "all", "all"},
		"all solved":                      {50, 50, "all", "all"},
		"the minimum number, half solved": {curriculumMinAttempts, curriculumMinAttempts / 2, "all", "all"},
		"the wider stage is harder: back": {50, 10, "single", "all"},
		"all solved, at most single":      {50, 50, "single", "single"},
		"all solved, at most multi":       {50, 50, "multi", "multi"},
		"multi rate, at most multi":       {50, 20, "multi", "multi"},
		"all solved, at most all":         {50, 50, "all", "all"},
		"an unknown widest: no cap":       {50, 50, "all", "everything"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := stageFor(tc.attempts, tc.solved, tc.widest); got.Name != tc.want {
				t.Errorf("stageFor(%d, %d, %s) = %s, want %s", tc.attempts, tc.solved, tc.widest, got.Name, tc.want)
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

// TestPlanStage: the plan gets its stage's operators and 1..MaxSites sites, or the first stage's when its
// seed keeps it there; and the job's generator is drawn from the same number of times at every stage.
func TestPlanStage(t *testing.T) {
	tests := map[string]struct {
		rates     fakeRates
		widest    string
		stage     string
		wantSites []int
	}{
		"single":                     {fakeRates{0, 0, nil}, "all", "single", []int{1}},
		"multi":                      {fakeRates{50, 20, nil}, "all", "multi", []int{1, 2, 3}},
		"all":                        {fakeRates{50, 40, nil}, "all", "all", []int{1, 2, 3}},
		"all solved, single at most": {fakeRates{50, 50, nil}, "single", "single", []int{1}},
		"store error":                {fakeRates{err: errors.New("database is locked")}, "all", "", nil},
	}
	const plans = 90
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			gen, ref, seeds := newJobGen(1), newJobGen(1), newJobGen(2)
			seen := map[int]bool{}
			kept := 0
			for range plans {
				plan := InjectPlan{Strategy: StrategyMutation, Seed: seeds.Uint64()}
				err := planStage(context.Background(), tc.rates, "job", tc.widest, gen, &plan)
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
				want := stageFor(tc.rates.attempts, tc.rates.solved, tc.widest)
				if want.Name != tc.stage {
					t.Fatalf("stageFor gives %s, the case says %s", want.Name, tc.stage)
				}
				if keepsFirstStage(plan.Seed) {
					want = curriculum[0]
					kept++
				}
				if plan.Stage != want.Name || !slices.Equal(plan.operators(), want.Operators) {
					t.Fatalf("plan stage %s operators %v, want stage %s", plan.Stage, plan.Operators, want.Name)
				}
				if plan.Sites > want.MaxSites {
					t.Fatalf("stage %s plan changes %d sites, more than %d", plan.Stage, plan.Sites, want.MaxSites)
				}
				seen[plan.Sites] = true
			}
			for _, n := range tc.wantSites {
				if !seen[n] {
					t.Errorf("never %d sites in %d plans: %v", n, plans, seen)
				}
			}
			if len(seen) != len(tc.wantSites) {
				t.Errorf("sites drawn %v, want %v", seen, tc.wantSites)
			}
			// Binomial(90, 1/3): mean 30, standard deviation 4.5; [12, 48] is four of them either side.
			if tc.stage != curriculum[0].Name && (kept < 12 || kept > 48) {
				t.Errorf("%d of %d plans kept the first stage, want about a third", kept, plans)
			}
			if gen.Uint64() != ref.Uint64() {
				t.Errorf("the generator drifted: the stage changed how often it is drawn from")
			}
		})
	}
}

// TestKeepsFirstStage: firstStageShare of uniform seeds keep the first stage, and the choice is the seed's:
// the same seed always gives the same answer.
func TestKeepsFirstStage(t *testing.T) {
	gen := newJobGen(7)
	const n = 30000
	kept := 0
	for range n {
		seed := gen.Uint64()
		k := keepsFirstStage(seed)
		if k != keepsFirstStage(seed) {
			t.Fatalf("seed %d: two answers", seed)
		}
		if k {
			kept++
		}
	}
	// Standard deviation of the share: sqrt(p(1-p)/n) ≈ 0.0027; 0.012 is over four of them.
	if share := float64(kept) / n; share < firstStageShare-0.012 || share > firstStageShare+0.012 {
		t.Errorf("share of seeds keeping the first stage = %.4f, want %.4f", share, firstStageShare)
	}
	if !keepsFirstStage(0) || keepsFirstStage(^uint64(0)) {
		t.Error("the lowest seed must keep the first stage and the highest must not")
	}
}
