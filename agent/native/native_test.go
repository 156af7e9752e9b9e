package native

import (
	"context"
	"math"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

type fixedScorer []float64

func (f fixedScorer) Score(context.Context, agent.Role, []agent.Candidate) ([]float64, error) {
	return f, nil
}
func (f fixedScorer) Version() int64 { return 7 }

func TestUniformChoiceCoversAll(t *testing.T) {
	n := New(nil, 1)
	rows := make([]agent.Candidate, 4)
	counts := make([]int, 4)
	for i := 0; i < 4000; i++ {
		d, err := n.Choose(context.Background(), agent.Solver, rows)
		if err != nil {
			t.Fatal(err)
		}
		counts[d.Chosen]++
		if math.Abs(d.LogProb-math.Log(0.25)) > 1e-12 || len(d.Rows) != 4 || d.PolicyVersion != 0 {
			t.Fatalf("decision %+v: want log(1/4), 4 rows, version 0", d)
		}
	}
	for i, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("candidate %d chosen %d times of 4000, want about 1000", i, c)
		}
	}
}

func TestScoresSteerChoice(t *testing.T) {
	n := New(fixedScorer{0, 5, 0}, 2)
	hits := 0
	for i := 0; i < 1000; i++ {
		d, _ := n.Choose(context.Background(), agent.Injector, make([]agent.Candidate, 3))
		if d.Chosen == 1 {
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
	if _, err := New(nil, 1).Choose(context.Background(), agent.Solver, nil); err != ErrNoCandidates {
		t.Errorf("no candidates: err = %v", err)
	}
	if _, err := New(fixedScorer{1}, 1).Choose(context.Background(), agent.Solver, make([]agent.Candidate, 2)); err == nil {
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

func TestIsAStructuredAgent(t *testing.T) {
	var a agent.Agent = New(nil, 1)
	if !agent.IsStructured(a) || a.Name() != "native" {
		t.Fatalf("the native agent must be structured and named native")
	}
}

// A row's Prior is added to its score: with a uniform scorer, priors 0 and ln 9 give odds of 1 to 9, and
// the recorded log-probability is the sampled one.
func TestPriorSteersChoice(t *testing.T) {
	n := New(nil, 3)
	rows := []agent.Candidate{{}, {Prior: math.Log(9)}}
	hits := 0
	for range 4000 {
		d, err := n.Choose(context.Background(), agent.Solver, rows)
		if err != nil {
			t.Fatal(err)
		}
		want := math.Log(0.1)
		if d.Chosen == 1 {
			hits++
			want = math.Log(0.9)
		}
		if math.Abs(d.LogProb-want) > 1e-12 {
			t.Fatalf("log-probability %v of row %d, want %v", d.LogProb, d.Chosen, want)
		}
	}
	if hits < 3500 || hits > 3700 {
		t.Errorf("the row with prior ln 9 was chosen %d of 4000 times, want about 3600", hits)
	}
}
