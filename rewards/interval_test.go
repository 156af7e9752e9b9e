package rewards

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Published Wilson score intervals at 95% (Newcombe 1998, table I; the same as R's prop.test without
// continuity correction).
func TestWilsonKnownValues(t *testing.T) {
	cases := map[string]struct {
		x, n   int
		lo, hi float64
	}{
		"none of ten":      {0, 10, 0, 0.2775},
		"one of ten":       {1, 10, 0.0179, 0.4042},
		"half of ten":      {5, 10, 0.2366, 0.7634},
		"all of ten":       {10, 10, 0.7225, 1},
		"81 of 263":        {81, 263, 0.2553, 0.3662},
		"15 of 148":        {15, 148, 0.0624, 0.1605},
		"no trials at all": {0, 0, 0, 1},
	}
	for name, c := range cases {
		got := Wilson(c.x, c.n, Z95)
		if math.Abs(got.Lo-c.lo) > 5e-4 || math.Abs(got.Hi-c.hi) > 5e-4 {
			t.Errorf("%s: Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", name, c.x, c.n, got.Lo, got.Hi, c.lo, c.hi)
		}
		if c.n > 0 && (got.Estimate < got.Lo || got.Estimate > got.Hi) {
			t.Errorf("%s: estimate %.4f outside [%.4f, %.4f]", name, got.Estimate, got.Lo, got.Hi)
		}
	}
}

// The interval's point: over many samples it holds the true rate about 95% of the time.
func TestWilsonCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []float64{0.05, 0.3, 0.5} {
		const trials, n = 2000, 40
		hit := 0
		for range trials {
			x := 0
			for range n {
				if rng.Float64() < p {
					x++
				}
			}
			if iv := Wilson(x, n, Z95); iv.Lo <= p && p <= iv.Hi {
				hit++
			}
		}
		if cov := float64(hit) / trials; cov < 0.92 || cov > 0.99 {
			t.Errorf("p=%.2f: coverage %.3f, want about 0.95", p, cov)
		}
	}
}

func TestBootstrapMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	if iv := BootstrapMean([]float64{0.5, 0.5, 0.5}, 1000, 0.95, rng); iv.Estimate != 0.5 || iv.Lo != 0.5 || iv.Hi != 0.5 {
		t.Errorf("constant values: %+v, want a zero-width interval at 0.5", iv)
	}
	if iv := BootstrapMean(nil, 1000, 0.95, rng); iv.Lo != 0 || iv.Hi != 1 {
		t.Errorf("no values: %+v, want [0, 1]", iv)
	}
	// Per-bug pass@k values of a set whose bugs have true pass rates spread over [0, 1]: the bootstrap
	// interval of the mean holds the true mean about 95% of the time.
	const sets, bugs, attempts, k = 300, 40, 4, 2
	hit := 0
	truth := 0.0
	rates := make([]float64, bugs)
	for i := range rates {
		rates[i] = float64(i) / float64(bugs-1)
		truth += 1 - math.Pow(1-rates[i], k) // pass@k of a bug with rate r
	}
	truth /= bugs
	for range sets {
		vals := make([]float64, bugs)
		for i, r := range rates {
			c := 0
			for range attempts {
				if rng.Float64() < r {
					c++
				}
			}
			vals[i] = PassAtK(attempts, c, k)
		}
		iv := BootstrapMean(vals, 500, 0.95, rng)
		if iv.Lo > iv.Estimate || iv.Hi < iv.Estimate {
			t.Fatalf("estimate %.3f outside its interval [%.3f, %.3f]", iv.Estimate, iv.Lo, iv.Hi)
		}
		if iv.Lo <= truth && truth <= iv.Hi {
			hit++
		}
	}
	if cov := float64(hit) / sets; cov < 0.88 || cov > 0.99 {
		t.Errorf("bootstrap coverage %.3f of the true pass@%d %.3f, want about 0.95", cov, k, truth)
	}
}
