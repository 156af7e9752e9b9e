package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

func TestMatMulAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 2}, {17, 9, 33}} {
		m, k, n := sz[0], sz[1], sz[2]
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		a[0] = 0 // the sparse skip
		c := make([]float64, m*n)
		CPU{}.MatMul(c, a, b, m, k, n)
		ta := make([]float64, k*n)
		tb := make([]float64, m*k)
		g := randSlice(r, m*n)
		MatMulTransA(ta, a, g, m, k, n)
		MatMulTransB(tb, g, b, m, k, n)
		for i := range m {
			for j := range n {
				want := 0.0
				for p := range k {
					want += a[i*k+p] * b[p*n+j]
				}
				if d := math.Abs(c[i*n+j] - want); d > 1e-12 {
					t.Fatalf("%v: c[%d,%d] = %v, want %v", sz, i, j, c[i*n+j], want)
				}
			}
		}
		// ⟨g, a·b⟩ = ⟨aᵀg, b⟩ = ⟨g·bᵀ, a⟩: the two transposed products are the adjoints.
		lhs := dot(g, c)
		if d := math.Abs(lhs - dot(ta, b)); d > 1e-9 {
			t.Errorf("%v: MatMulTransA is not the adjoint (%v vs %v)", sz, lhs, dot(ta, b))
		}
		if d := math.Abs(lhs - dot(tb, a)); d > 1e-9 {
			t.Errorf("%v: MatMulTransB is not the adjoint (%v vs %v)", sz, lhs, dot(tb, a))
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestLogSoftmaxRagged(t *testing.T) {
	offsets := []int{0, 3, 3, 4, 9}
	mask := []bool{true, true, true, true, true, false, true, true, false}
	x := []float64{1, 2, 3, 7, -1, 100, 0.5, 2, -100}
	out := make([]float64, len(x))
	CPU{}.LogSoftmaxRagged(out, x, mask, offsets)
	for s := 0; s+1 < len(offsets); s++ {
		sum := 0.0
		for j := offsets[s]; j < offsets[s+1]; j++ {
			sum += math.Exp(out[j])
		}
		if offsets[s+1] > offsets[s] && math.Abs(sum-1) > 1e-12 {
			t.Errorf("set %d: probabilities sum to %v", s, sum)
		}
	}
	if out[3] != 0 {
		t.Errorf("a set of one: log p = %v, want 0", out[3])
	}
	if !math.IsInf(out[5], -1) || !math.IsInf(out[8], -1) {
		t.Errorf("masked rows: %v %v, want -Inf", out[5], out[8])
	}
}

// TestLogSoftmaxRaggedBackwardFiniteDifferences checks the backward against central differences of
// L(x) = Σ w·logsoftmax(x) over unmasked rows.
func TestLogSoftmaxRaggedBackwardFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	offsets := []int{0, 4, 5, 12}
	n := offsets[len(offsets)-1]
	mask := make([]bool, n)
	for i := range mask {
		mask[i] = i != 7
	}
	x, w := randSlice(r, n), randSlice(r, n)
	loss := func(x []float64) float64 {
		out := make([]float64, n)
		CPU{}.LogSoftmaxRagged(out, x, mask, offsets)
		s := 0.0
		for j := range out {
			if mask[j] {
				s += w[j] * out[j]
			}
		}
		return s
	}
	logp := make([]float64, n)
	CPU{}.LogSoftmaxRagged(logp, x, mask, offsets)
	gout := make([]float64, n)
	for j := range gout {
		if mask[j] {
			gout[j] = w[j]
		}
	}
	gx := make([]float64, n)
	CPU{}.LogSoftmaxRaggedBackward(gx, logp, gout, mask, offsets)
	const h = 1e-6
	for j := range x {
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[j] += h
		xm[j] -= h
		fd := (loss(xp) - loss(xm)) / (2 * h)
		if math.Abs(fd-gx[j]) > 1e-6 {
			t.Errorf("d/dx[%d]: backward %v, finite differences %v", j, gx[j], fd)
		}
	}
}

func TestGatherScatterAreAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const width, rows = 3, 6
	src := randSlice(r, rows*width)
	idx := []int{4, 0, 4, 2}
	got := make([]float64, len(idx)*width)
	CPU{}.Gather(got, src, idx, width)
	for k, i := range idx {
		for j := range width {
			if got[k*width+j] != src[i*width+j] {
				t.Fatalf("gather row %d col %d", k, j)
			}
		}
	}
	g := randSlice(r, len(idx)*width)
	back := make([]float64, rows*width)
	CPU{}.ScatterAdd(back, g, idx, width)
	if d := math.Abs(dot(g, got) - dot(back, src)); d > 1e-12 {
		t.Errorf("⟨g, gather(src)⟩ ≠ ⟨scatter(g), src⟩ by %v", d)
	}
}

func TestAdamFirstStepMovesByLR(t *testing.T) {
	// On step 1 the bias-corrected update is lr·g/(|g|+ε): every weight moves by about lr against its gradient.
	p := []float64{1, -2, 3}
	g := []float64{0.5, -4, 1e-3}
	m, v := make([]float64, 3), make([]float64, 3)
	CPU{}.Adam(p, g, m, v, AdamStep{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-12, T: 1})
	want := []float64{0.9, -1.9, 2.9}
	for i := range p {
		if math.Abs(p[i]-want[i]) > 1e-9 {
			t.Errorf("p[%d] = %v, want %v", i, p[i], want[i])
		}
	}
}
