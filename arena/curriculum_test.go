package arena

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestStageFor: the first stage until its bugs have enough attempts; then one step at a time, each on the
// stage before's rate until the stage's own bugs have enough attempts and on their rate after that, falling
// back a step when that rate is below the hold; and never past the widest stage the config allows.
func TestStageFor(t *testing.T) {
	const min = curriculumMinAttempts
	at := func(attempts, solved int) store.Solves { return store.Solves{Attempts: attempts, Solved: solved} }
	type rates = map[string]store.Solves
	tests := map[string]struct {
		solves rates
		widest string
		want   string
	}{
		"a new job":                                {nil, "all", "single"},
		"too few attempts, all solved":             {rates{"single": at(min-1, min-1)}, "all", "single"},
		"enough attempts, none solved":             {rates{"single": at(min, 0)}, "all", "single"},
		"single just below double's entry":         {rates{"single": at(50, 14)}, "all", "single"},
		"single at 0.30: double":                   {rates{"single": at(50, 15)}, "all", "double"},
		"single all solved: one step, not more":    {rates{"single": at(100, 100)}, "all", "double"},
		"double's own bugs too few: entry holds":   {rates{"single": at(50, 15), "double": at(min-1, 0)}, "all", "double"},
		"double's own bugs hold":                   {rates{"single": at(50, 40), "double": at(min, 3)}, "all", "double"},
		"double's own bugs fall: back to single":   {rates{"single": at(50, 40), "double": at(min, 2)}, "all", "single"},
		"double's bugs at 0.30: multi":             {rates{"single": at(30, 10), "double": at(40, 12)}, "all", "multi"},
		"multi entered, double gone from window":   {rates{"single": at(30, 10), "multi": at(min, 4)}, "all", "multi"},
		"multi falls: back to double":              {rates{"single": at(30, 10), "multi": at(60, 5)}, "all", "double"},
		"multi's bugs at 0.50: all":                {rates{"single": at(30, 10), "multi": at(40, 20)}, "all", "all"},
		"multi's bugs just below all":              {rates{"single": at(30, 10), "multi": at(40, 19)}, "all", "multi"},
		"all's own bugs hold, multi gone":          {rates{"single": at(30, 10), "multi": at(min-1, 0), "all": at(min, 3)}, "all", "all"},
		"all falls: back to multi":                 {rates{"single": at(30, 10), "all": at(min, 2)}, "all", "multi"},
		"a wider stage's own rate outranks single": {rates{"single": at(30, 0), "double": at(min, 4)}, "all", "double"},
		"bugs no stage planned do not count":       {rates{"": at(100, 100)}, "all", "single"},
		"all solved everywhere, at most single":    {rates{"single": at(50, 50), "double": at(50, 50)}, "single", "single"},
		"all solved everywhere, at most double":    {rates{"single": at(50, 50), "double": at(50, 50), "multi": at(50, 50)}, "double", "double"},
		"all solved everywhere, at most multi":     {rates{"single": at(50, 50), "double": at(50, 50), "multi": at(50, 50)}, "multi", "multi"},
		"multi solved, an unknown widest: no cap":  {rates{"single": at(50, 50), "multi": at(50, 50)}, "everything", "all"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := stageFor(tc.solves, tc.widest); got.Name != tc.want {
				t.Errorf("stageFor(%v, %s) = %s, want %s", tc.solves, tc.widest, got.Name, tc.want)
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
			if st.Enter <= curriculumHold || st.MaxSites < prev.MaxSites || len(st.Operators) < len(prev.Operators) ||
				(st.MaxSites == prev.MaxSites && len(st.Operators) == len(prev.Operators)) {
				t.Errorf("stage %s does not widen %s, or is entered at a rate its own bugs need not hold", st.Name, prev.Name)
			}
		}
		if st.MinSites < 1 || st.MinSites > st.MaxSites || st.MaxSites > maxInjectSites {
			t.Errorf("stage %s changes %d..%d sites", st.Name, st.MinSites, st.MaxSites)
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
	solves map[string]store.Solves
	err    error
}

func (f fakeRates) StageSolves(context.Context, string, int) (map[string]store.Solves, error) {
	return f.solves, f.err
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
		"single":                     {fakeRates{nil, nil}, "all", "single", []int{1}},
		"double":                     {fakeRates{map[string]store.Solves{"single": {Attempts: 50, Solved: 20}}, nil}, "all", "double", []int{1, 2}},
		"multi":                      {fakeRates{map[string]store.Solves{"single": {Attempts: 50, Solved: 20}, "double": {Attempts: 50, Solved: 20}}, nil}, "all", "multi", []int{1, 2, 3}},
		"all":                        {fakeRates{map[string]store.Solves{"single": {Attempts: 50, Solved: 20}, "multi": {Attempts: 50, Solved: 40}}, nil}, "all", "all", []int{1, 2, 3}},
		"all solved, single at most": {fakeRates{map[string]store.Solves{"single": {Attempts: 50, Solved: 50}}, nil}, "single", "single", []int{1}},
		"store error":                {fakeRates{nil, errors.New("database is locked")}, "all", "", nil},
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
				want := stageFor(tc.rates.solves, tc.widest)
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
				if plan.Sites < want.MinSites || plan.Sites > want.MaxSites {
					t.Fatalf("stage %s plan changes %d sites, not %d..%d", plan.Stage, plan.Sites, want.MinSites, want.MaxSites)
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
