package agent

import (
	"context"
	"math"
	"testing"
)

type fixedScorer []float64

func (f fixedScorer) Score(context.Context, Role, []Candidate) ([]float64, error) { return f, nil }
func (f fixedScorer) Version() int64                                              { return 7 }

func TestUniformChoiceCoversAll(t *testing.T) {
	n := NewNative(nil, 1)
	cands := make([]Candidate, 4)
	counts := make([]int, 4)
	for i := 0; i < 4000; i++ {
		k, err := n.Choose(context.Background(), Solver, cands)
		if err != nil {
			t.Fatal(err)
		}
		counts[k]++
	}
	for i, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("candidate %d chosen %d times of 4000, want about 1000", i, c)
		}
	}
	if n.PolicyVersion() != 0 {
		t.Errorf("untrained policy version = %d, want 0", n.PolicyVersion())
	}
}

func TestScoresSteerChoice(t *testing.T) {
	n := NewNative(fixedScorer{0, 5, 0}, 2)
	hits := 0
	for i := 0; i < 1000; i++ {
		k, _ := n.Choose(context.Background(), Injector, make([]Candidate, 3))
		if k == 1 {
			hits++
		}
	}
	if hits < 950 {
		t.Errorf("candidate with score 5 chosen %d/1000 times, want > 950", hits)
	}
	if n.PolicyVersion() != 7 {
		t.Errorf("PolicyVersion = %d, want 7", n.PolicyVersion())
	}
}

func TestChooseErrors(t *testing.T) {
	if _, err := NewNative(nil, 1).Choose(context.Background(), Solver, nil); err != ErrNoCandidates {
		t.Errorf("no candidates: err = %v", err)
	}
	if _, err := NewNative(fixedScorer{1}, 1).Choose(context.Background(), Solver, make([]Candidate, 2)); err == nil {
		t.Error("a scorer with the wrong number of scores must be an error")
	}
}

func TestSoftmax(t *testing.T) {
	p := softmax([]float64{math.NaN(), 0, 0})
	if p[0] != 0 || math.Abs(p[1]-0.5) > 1e-12 {
		t.Errorf("softmax with NaN = %v", p)
	}
	p = softmax([]float64{math.Inf(-1), math.Inf(-1)})
	if p[0] != 0.5 {
		t.Errorf("softmax of -inf = %v, want uniform", p)
	}
}
