package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// eachBackend runs f as a sub-benchmark per compiled-in backend (openOrSkip). A device backend copies its
// inputs in and its results out on every call, so its figures include the transfers.
func eachBackend(b *testing.B, f func(b *testing.B, k Backend)) {
	for _, name := range slices.Sorted(slices.Values(Names())) {
		b.Run(name, func(b *testing.B) { f(b, openOrSkip(b, name)) })
	}
}

// benchMatMul times k.MatMul of an m×kk by a kk×n matrix.
func benchMatMul(b *testing.B, m, kk, n int) {
	eachBackend(b, func(b *testing.B, k Backend) {
		r := rand.New(rand.NewPCG(1, 1))
		a, w, c := randSlice(r, m*kk), randSlice(r, kk*n), make([]float64, m*n)
		b.SetBytes(int64(8 * (len(a) + len(w))))
		for b.Loop() {
			k.MatMul(c, a, w, m, kk, n)
		}
	})
}

// Sizes are the policy's: a decision of 400 candidates × 578 features (schema 3) into 32 hidden units.
func BenchmarkMatMul400x578x32(b *testing.B) { benchMatMul(b, 400, 578, 32) }

// A training minibatch: 4096 rows (the trainer's default BatchRows) × 578 features into 32 hidden units.
func BenchmarkMatMul4096x578x32(b *testing.B) { benchMatMul(b, 4096, 578, 32) }

// The size a code-token encoder would need: 4096 rows × 1024 into 1024.
func BenchmarkMatMul4096x1024x1024(b *testing.B) { benchMatMul(b, 4096, 1024, 1024) }

func BenchmarkMatMulTransA400x578x32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	a, g, c := randSlice(r, 400*578), randSlice(r, 400*32), make([]float64, 578*32)
	for b.Loop() {
		MatMulTransA(c, a, g, 400, 578, 32)
	}
}

func BenchmarkLogSoftmaxRagged16x400(b *testing.B) {
	eachBackend(b, func(b *testing.B, k Backend) {
		r := rand.New(rand.NewPCG(1, 1))
		offsets := make([]int, 17)
		for i := range offsets {
			offsets[i] = 400 * i
		}
		x, out, g, gx := randSlice(r, 6400), make([]float64, 6400), randSlice(r, 6400), make([]float64, 6400)
		for b.Loop() {
			k.LogSoftmaxRagged(out, x, nil, offsets)
			k.LogSoftmaxRaggedBackward(gx, out, g, nil, offsets)
		}
	})
}

func BenchmarkGatherScatter(b *testing.B) {
	eachBackend(b, func(b *testing.B, k Backend) {
		r := rand.New(rand.NewPCG(1, 1))
		const width = 32
		src, dst := randSlice(r, 6400*width), make([]float64, 6400*width)
		idx := make([]int, 6400)
		for i := range idx {
			idx[i] = r.IntN(6400)
		}
		out := make([]float64, len(idx)*width)
		for b.Loop() {
			k.Gather(out, src, idx, width)
			k.ScatterAdd(dst, out, idx, width)
		}
	})
}

func BenchmarkAdam20k(b *testing.B) {
	eachBackend(b, func(b *testing.B, k Backend) {
		r := rand.New(rand.NewPCG(1, 1))
		p, g, m, v := randSlice(r, 20000), randSlice(r, 20000), make([]float64, 20000), make([]float64, 20000)
		for i := range b.N {
			k.Adam(p, g, m, v, AdamStep{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, T: int64(i + 1)})
		}
	})
}
