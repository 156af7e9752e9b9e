package rewards

import (
	"math"
	"testing"
)

func TestPassAtK(t *testing.T) {
	for name, c := range map[string]struct {
		n, c, k int
		want    float64
	}{
		"pass@1 is the rate":    {n: 8, c: 2, k: 1, want: 0.25},
		"none solved":           {n: 8, c: 0, k: 4, want: 0},
		"all solved":            {n: 8, c: 8, k: 4, want: 1},
		"one of four, k=2":      {n: 4, c: 1, k: 2, want: 0.5},
		"fewer attempts than k": {n: 2, c: 1, k: 3, want: 0},
	} {
		if got := PassAtK(c.n, c.c, c.k); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: PassAtK(%d, %d, %d) = %v, want %v", name, c.n, c.c, c.k, got, c.want)
		}
	}
}

func TestPassAtKAdvantages(t *testing.T) {
	succ := []bool{true, false, false, false}
	a1 := PassAtKAdvantages(succ, 1)
	// k=1: ρ = 1/4, σ = √(3/16); success (3/4)/σ, failure (3/4 − 1)/σ: the same as Advantages on ±1 rewards.
	want := Advantages([]float64{1, -1, -1, -1})
	for i := range a1 {
		if math.Abs(a1[i]-want[i]) > 1e-5 {
			t.Errorf("k=1: advantage %d = %v, want %v", i, a1[i], want[i])
		}
	}
	a2 := PassAtKAdvantages(succ, 2)
	if !(a2[0] > 0 && a2[1] < 0) {
		t.Errorf("k=2: success %v should be positive and failure %v negative", a2[0], a2[1])
	}
	if math.Abs(a2[1]) >= math.Abs(a1[1]) {
		t.Errorf("k=2 blames a failure less than k=1: %v vs %v", a2[1], a1[1])
	}
	for _, g := range [][]bool{{true, true}, {false, false}, {true}} {
		for i, a := range PassAtKAdvantages(g, 2) {
			if a != 0 {
				t.Errorf("%v: advantage %d = %v, want 0 (no signal)", g, i, a)
			}
		}
	}
}
