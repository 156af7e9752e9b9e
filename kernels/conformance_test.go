package kernels

import (
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// conformanceTol is the largest difference allowed between a backend and the CPU reference, relative to
// max(1, |reference|). Device kernels use float64 throughout, but sums run in another order (and exp/log are
// the device's), so results agree to rounding, not bit for bit.
const conformanceTol = 1e-9

// TestConformance runs every compiled-in backend against the CPU reference on the same inputs. A device
// backend that cannot run here (no driver, no GPU, no NVRTC) skips with the reason.
func TestConformance(t *testing.T) {
	for _, name := range slices.Sorted(slices.Values(Names())) {
		t.Run(name, func(t *testing.T) { conformance(t, openOrSkip(t, name)) })
	}
}

// openOrSkip opens the backend called name for tb, closing it (a device context) when tb ends; one that
// cannot run on this machine skips tb with the reason.
func openOrSkip(tb testing.TB, name string) Backend {
	tb.Helper()
	b, err := Open(name)
	if errors.Is(err, ErrNoDevice) {
		tb.Skipf("backend %s cannot run on this machine: %v", name, err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Error(err)
		}
	})
	return b
}

func conformance(t *testing.T, b Backend) {
	r := rand.New(rand.NewPCG(7, 8))
	ref := CPU{}
	// worst is each operation's largest difference seen, relative as the tolerance is; logged at the end
	// (docs/perf.md reports it for the GPU).
	worst := map[string]float64{}
	defer func() {
		for _, op := range slices.Sorted(maps.Keys(worst)) {
			t.Logf("%s %s: largest relative difference %.3g", b.Name(), op, worst[op])
		}
	}()
	check := func(op string, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.IsInf(want[i], 0) && got[i] == want[i] {
				continue
			}
			d := math.Abs(got[i]-want[i]) / math.Max(1, math.Abs(want[i]))
			if !(d <= conformanceTol) {
				t.Fatalf("%s: element %d is %v, reference %v", op, i, got[i], want[i])
			}
			worst[op] = max(worst[op], d)
		}
	}
	for _, sz := range [][3]int{{1, 1, 1}, {7, 13, 5}, {300, 578, 32}} {
		m, k, n := sz[0], sz[1], sz[2]
		a, bb := randSlice(r, m*k), randSlice(r, k*n)
		got, want := make([]float64, m*n), make([]float64, m*n)
		b.MatMul(got, a, bb, m, k, n)
		ref.MatMul(want, a, bb, m, k, n)
		check("MatMul", got, want)
	}
	offsets := []int{0, 1, 1, 40, 41, 300, 1325}
	n := offsets[len(offsets)-1]
	x := randSlice(r, n)
	mask := make([]bool, n)
	for i := range mask {
		mask[i] = r.IntN(10) != 0
	}
	for _, mk := range [][]bool{nil, mask} {
		got, want := make([]float64, n), make([]float64, n)
		b.LogSoftmaxRagged(got, x, mk, offsets)
		ref.LogSoftmaxRagged(want, x, mk, offsets)
		check("LogSoftmaxRagged", got, want)
		gout := randSlice(r, n)
		gg, gw := make([]float64, n), make([]float64, n)
		b.LogSoftmaxRaggedBackward(gg, want, gout, mk, offsets)
		ref.LogSoftmaxRaggedBackward(gw, want, gout, mk, offsets)
		check("LogSoftmaxRaggedBackward", gg, gw)
	}
	const width = 33
	src := randSlice(r, 50*width)
	idx := make([]int, 200)
	for i := range idx {
		idx[i] = r.IntN(50)
	}
	got, want := make([]float64, len(idx)*width), make([]float64, len(idx)*width)
	b.Gather(got, src, idx, width)
	ref.Gather(want, src, idx, width)
	check("Gather", got, want)
	sg, sw := make([]float64, 50*width), make([]float64, 50*width)
	b.ScatterAdd(sg, want, idx, width)
	ref.ScatterAdd(sw, want, idx, width)
	check("ScatterAdd", sg, sw)

	p, g := randSlice(r, 1000), randSlice(r, 1000)
	pw := append([]float64(nil), p...)
	m1, v1, m2, v2 := make([]float64, 1000), make([]float64, 1000), make([]float64, 1000), make([]float64, 1000)
	for step := int64(1); step <= 3; step++ {
		s := AdamStep{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4, T: step}
		b.Adam(p, g, m1, v1, s)
		ref.Adam(pw, g, m2, v2, s)
	}
	check("Adam p", p, pw)
	check("Adam m", m1, m2)
	check("Adam v", v1, v2)
}
