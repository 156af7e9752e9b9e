package arena

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkJob runs a short job on the built-in examples with one test run at a time and reports where the
// time goes: test execution inside sandboxes versus everything else (orchestration overhead: container
// starts, file transfer, plugins, the store), and throughput in validated bugs and evaluated attempts per
// hour.
func BenchmarkJob(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := withExamples(b)
		cfg := e2eConfig()
		cfg.Limits = Limits{Bugs: 3, Proposed: 8, WallTime: 15 * time.Minute}
		st := openStore(b, filepath.Join(b.TempDir(), "jobs.db"), f.job, cfg)
		a := f.arena(cfg.Arena)
		r := newRunner(a, st, f.repos, cfg)
		b.StartTimer()
		start := time.Now()
		if err := r.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		b.StopTimer()
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
}
