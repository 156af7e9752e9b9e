package policy

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/kernels"
)

// BenchmarkScore400 is one decision of the native agent over 400 candidates (featurise + forward).
func BenchmarkScore400(b *testing.B) {
	m, _ := New(DefaultConfig, 1)
	rows := testCandidates(400, 1)
	for b.Loop() {
		if _, err := m.Score(context.Background(), agent.Solver, rows); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainStep is one optimiser step over a minibatch of 4096 candidate rows (16 decisions of 256),
// the default BatchRows, with the default model, per compiled-in kernel backend (the gradients of the
// network's weights come from gorgonia's graph on the CPU whatever the backend).
func BenchmarkTrainStep(b *testing.B) {
	for _, name := range slices.Sorted(slices.Values(kernels.Names())) {
		b.Run(name, func(b *testing.B) {
			k, err := kernels.Open(name)
			if errors.Is(err, kernels.ErrNoDevice) {
				b.Skipf("backend %s cannot run on this machine: %v", name, err)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close()
			m, _ := New(DefaultConfig, 1)
			tr, _ := NewTrainer(m, DefaultTrainConfig)
			tr.UseKernels(k)
			r := rand.New(rand.NewPCG(1, 2))
			var mb []sample
			for i := range 16 {
				rows := testCandidates(256, uint64(i))
				mb = append(mb, sample{role: agent.Solver, rows: rows, chosen: r.IntN(256), oldLogp: -5.5, advantage: r.NormFloat64()})
			}
			b.ReportMetric(4096, "rows/op")
			for b.Loop() {
				if _, err := tr.update(mb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
