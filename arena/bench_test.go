package arena

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/docker"
)

// BenchmarkJob runs a short job on the built-in examples with one test run at a time and reports where the
// time goes: test execution inside sandboxes versus everything else (orchestration overhead: container
// starts, file transfer, plugins, the store), and throughput in validated bugs and evaluated attempts per
// hour; once with a fresh container per sandbox and once with a warm pool of pre-started containers.
func BenchmarkJob(b *testing.B) {
	for _, pool := range []int{0, 2} {
		name := "fresh"
		if pool > 0 {
			name = "pool"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f := withExamples(b)
				provider := f.provider
				if pool > 0 {
					var err error
					provider, err = docker.New(f.cli, docker.WithBudget(docker.NewBudget(4)), docker.WithWarmPool(pool))
					if err != nil {
						b.Fatal(err)
					}
				}
				cfg := e2eConfig()
				cfg.Limits = Limits{Bugs: 3, Proposed: 8, WallTime: 15 * time.Minute}
				st := openStore(b, filepath.Join(b.TempDir(), "jobs.db"), f.job, cfg)
				a := New(provider, f.job, cfg.Arena, nil)
				r := newRunner(a, st, f.repos, cfg)
				b.StartTimer()
				start := time.Now()
				err := r.Run(context.Background())
				wall := time.Since(start)
				b.StopTimer()
				if pool > 0 {
					provider.Close(context.Background())
				}
				if err != nil {
					b.Fatal(err)
				}
				c, err := st.Counts(context.Background(), f.job)
				if err != nil {
					b.Fatal(err)
				}
				test := a.Metrics().TestTime()
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(test.Seconds(), "test-s")
				b.ReportMetric(100*(wall-test).Seconds()/test.Seconds(), "overhead-%")
				b.ReportMetric(float64(a.Metrics().TestRuns()), "test-runs")
				b.ReportMetric(float64(c.Bugs)/wall.Hours(), "bugs/h")
				b.ReportMetric(float64(c.Attempts)/wall.Hours(), "attempts/h")
			}
		})
	}
}
