package rewards

import (
	"errors"
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSolver(t *testing.T) {
	if got := Solver(true); got != 1 {
		t.Errorf("Solver(true) = %v, want 1", got)
	}
	if got := Solver(false); got != -1 {
		t.Errorf("Solver(false) = %v, want -1", got)
	}
}

// TestInjectorEveryKOfEight covers every number of solved attempts out of DESIGN.md's default of 8.
func TestInjectorEveryKOfEight(t *testing.T) {
	tests := map[string]struct {
		solved int
		want   float64
	}{
		"0 of 8 (never solved)":  {0, -0.8},
		"1 of 8":                 {1, 1 - 1.8*0.125},
		"2 of 8":                 {2, 1 - 1.8*0.25},
		"3 of 8":                 {3, 1 - 1.8*0.375},
		"4 of 8":                 {4, 1 - 1.8*0.5},
		"5 of 8":                 {5, 1 - 1.8*0.625},
		"6 of 8":                 {6, 1 - 1.8*0.75},
		"7 of 8":                 {7, 1 - 1.8*0.875},
		"8 of 8 (always solved)": {8, -0.8},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Injector(true, tc.solved, 8, DefaultAlpha)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, tc.want) {
				t.Errorf("Injector(valid, %d/8) = %v, want %v", tc.solved, got, tc.want)
			}
		})
	}
}

func TestInjectorRareSolvesEarnMost(t *testing.T) {
	best, bestK := math.Inf(-1), -1
	for k := 0; k <= 8; k++ {
		r, err := Injector(true, k, 8, DefaultAlpha)
		if err != nil {
			t.Fatal(err)
		}
		if r > best {
			best, bestK = r, k
		}
	}
	if bestK != 1 {
		t.Errorf("the best injector reward is at %d of 8 solved, want 1", bestK)
	}
}

func TestInjectorCases(t *testing.T) {
	tests := map[string]struct {
		valid            bool
		solved, attempts int
		alpha            float64
		want             float64
		err              error
	}{
		"rejected":                {valid: false, want: -1},
		"rejected ignores counts": {valid: false, solved: 3, attempts: 8, want: -1},
		"alpha zero half solved":  {valid: true, solved: 1, attempts: 2, alpha: 0, want: 0.5},
		"alpha one never solved":  {valid: true, solved: 0, attempts: 4, alpha: 1, want: -1},
		"alpha one 1 of 4":        {valid: true, solved: 1, attempts: 4, alpha: 1, want: 0.5},
		"no attempts":             {valid: true, attempts: 0, alpha: 0.8, err: ErrNoAttempts},
		"alpha too big":           {valid: true, solved: 1, attempts: 2, alpha: 1.5, err: ErrBadAlpha},
		"alpha negative":          {valid: true, solved: 1, attempts: 2, alpha: -0.1, err: ErrBadAlpha},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Injector(tc.valid, tc.solved, tc.attempts, tc.alpha)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := Injector(true, 9, 8, DefaultAlpha); err == nil {
		t.Error("9 solved of 8 should be an error")
	}
}

func TestAdvantages(t *testing.T) {
	tests := map[string]struct {
		in, want []float64
	}{
		"empty":     {nil, []float64{}},
		"single":    {[]float64{1}, []float64{0}},
		"all equal": {[]float64{-1, -1, -1}, []float64{0, 0, 0}},
		"half/half": {[]float64{1, -1, 1, -1}, []float64{1, -1, 1, -1}},
		"1 of 4":    {[]float64{1, -1, -1, -1}, []float64{3 / math.Sqrt(3), -1 / math.Sqrt(3), -1 / math.Sqrt(3), -1 / math.Sqrt(3)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Advantages(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("len = %d, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-5 {
					t.Errorf("advantage[%d] = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestAdvantagesEveryKOfEight checks the group over 8 solver attempts for every k solved: zero mean, unit
// spread, and a positive advantage exactly for the successes.
func TestAdvantagesEveryKOfEight(t *testing.T) {
	for k := 0; k <= 8; k++ {
		rs := make([]float64, 8)
		for i := range rs {
			rs[i] = Solver(i < k)
		}
		adv := Advantages(rs)
		mean, std := MeanStd(adv)
		if k == 0 || k == 8 {
			if mean != 0 || std != 0 {
				t.Errorf("k=%d: advantages %v, want all zero", k, adv)
			}
			continue
		}
		if math.Abs(mean) > 1e-9 || math.Abs(std-1) > 1e-4 {
			t.Errorf("k=%d: mean %v std %v, want 0 and 1", k, mean, std)
		}
		for i, a := range adv {
			if (i < k) != (a > 0) {
				t.Errorf("k=%d: advantage[%d] = %v has the wrong sign", k, i, a)
			}
		}
	}
}
