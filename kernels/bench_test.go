package kernels

import (
	"math/rand/v2"
	"testing"
)

// Sizes are the policy's: a decision of 400 candidates × 578 features into 32 hidden units.
func BenchmarkMatMul400x578x32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	a, w, c := randSlice(r, 400*578), randSlice(r, 578*32), make([]float64, 400*32)
	b.SetBytes(int64(8 * (len(a) + len(w))))
	for b.Loop() {
		CPU{}.MatMul(c, a, w, 400, 578, 32)
	}
}

func BenchmarkMatMulTransA400x578x32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	a, g, c := randSlice(r, 400*578), randSlice(r, 400*32), make([]float64, 578*32)
	for b.Loop() {
		MatMulTransA(c, a, g, 400, 578, 32)
	}
}

func BenchmarkLogSoftmaxRagged16x400(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	offsets := make([]int, 17)
	for i := range offsets {
		offsets[i] = 400 * i
	}
	x, out, g, gx := randSlice(r, 6400), make([]float64, 6400), randSlice(r, 6400), make([]float64, 6400)
	for b.Loop() {
		CPU{}.LogSoftmaxRagged(out, x, nil, offsets)
		CPU{}.LogSoftmaxRaggedBackward(gx, out, g, nil, offsets)
	}
}

func BenchmarkGatherScatter(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const width = 32
	src, dst := randSlice(r, 6400*width), make([]float64, 6400*width)
	idx := make([]int, 6400)
	for i := range idx {
		idx[i] = r.IntN(6400)
	}
	out := make([]float64, len(idx)*width)
	for b.Loop() {
		CPU{}.Gather(out, src, idx, width)
		CPU{}.ScatterAdd(dst, out, idx, width)
	}
}

func BenchmarkAdam20k(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	p, g, m, v := randSlice(r, 20000), randSlice(r, 20000), make([]float64, 20000), make([]float64, 20000)
	for i := range b.N {
		CPU{}.Adam(p, g, m, v, AdamStep{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, T: int64(i + 1)})
	}
}
