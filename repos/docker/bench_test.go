package docker_test

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// benchRuns is how many samples each percentile comes from.
const benchRuns = 50

// percentiles returns the p50 and p95 of ds in milliseconds.
func percentiles(ds []time.Duration) (p50, p95 float64) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 { return float64(s[int(q*float64(len(s)-1)+0.5)]) / float64(time.Millisecond) }
	return at(0.50), at(0.95)
}

// BenchmarkStartExecClose: start a sandbox, exec `true`, close it; beside `docker run --rm IMAGE true`
// through the CLI on the same image (the ratio is CLI p50 over ours). "fresh" creates and starts a
// container for every sandbox; "pool" hands out one that a warm pool of 1 started in the background
// (its refill runs while ours execs and closes and while the CLI runs, and slows both).
func BenchmarkStartExecClose(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []docker.Option
	}{
		{"fresh", nil},
		{"pool", []docker.Option{docker.WithWarmPool(1)}},
	} {
		b.Run(c.name, func(b *testing.B) { benchStartExecClose(b, c.opts...) })
	}
}

func benchStartExecClose(b *testing.B, opts ...docker.Option) {
	image := dockertest.BaseImage(b)
	job := dockertest.Job(b)
	p, err := docker.New(dockertest.Client(b), opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	defer func() {
		if err := p.Close(ctx); err != nil {
			b.Error(err)
		}
	}()
	cli, err := exec.LookPath("docker")
	if err != nil {
		b.Logf("no docker CLI: no baseline")
	}
	// Samples alternate between ours and the CLI, so that both see the same load on a shared machine.
	for b.Loop() {
		var ours, theirs []time.Duration
		for range benchRuns {
			start := time.Now()
			sb, err := p.Start(ctx, sandbox.Spec{Image: image, Job: job, Role: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"true"}})
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("exec true: %v, exit %d", err, res.ExitCode)
			}
			if err := sb.Close(ctx); err != nil {
				b.Fatal(err)
			}
			ours = append(ours, time.Since(start))
			if cli == "" {
				continue
			}
			start = time.Now()
			// The baseline is the CLI on purpose: it is what ours is compared with.
			out, err := exec.Command(cli, "run", "--rm", "--network", "none", "--label", "ssr.job="+job, image, "true").CombinedOutput()
			if err != nil {
				b.Fatalf("docker run: %v: %s", err, out)
			}
			theirs = append(theirs, time.Since(start))
		}
		p50, p95 := percentiles(ours)
		b.ReportMetric(p50, "p50-ms")
		b.ReportMetric(p95, "p95-ms")
		if len(theirs) > 0 {
			c50, c95 := percentiles(theirs)
			b.ReportMetric(c50, "cli-p50-ms")
			b.ReportMetric(c95, "cli-p95-ms")
			b.ReportMetric(c50/p50, "cli/ours-p50")
		}
	}
}

// BenchmarkWarmExec: `true` in a running sandbox.
func BenchmarkWarmExec(b *testing.B) {
	image := dockertest.BaseImage(b)
	job := dockertest.Job(b)
	p, err := docker.New(dockertest.Client(b))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sb, err := p.Start(ctx, sandbox.Spec{Image: image, Job: job, Role: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close(ctx)
	for b.Loop() {
		ds := make([]time.Duration, 0, 4*benchRuns)
		for range 4 * benchRuns {
			start := time.Now()
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"true"}})
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("exec true: %v, exit %d", err, res.ExitCode)
			}
			ds = append(ds, time.Since(start))
		}
		p50, p95 := percentiles(ds)
		b.ReportMetric(p50, "p50-ms")
		b.ReportMetric(p95, "p95-ms")
	}
}

// BenchmarkEnsureBaseCached: EnsureBase when the image exists (the cold build is timed by hand, see
// docs/perf.md).
func BenchmarkEnsureBaseCached(b *testing.B) {
	cli := dockertest.Client(b)
	dockertest.BaseImage(b)
	ctx := context.Background()
	for b.Loop() {
		start := time.Now()
		if _, err := docker.EnsureBase(ctx, cli, docker.DefaultRecipe()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start))/float64(time.Millisecond), "ms")
	}
}
