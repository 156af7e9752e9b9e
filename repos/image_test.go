package repos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

var (
	pluginsOnce sync.Once
	pluginsDir  string
	pluginsErr  error
)

// firstPartyPlugins builds ssr-lang-go and ssr-lang-python from this module into a temporary directory, once
// per test binary, so that tests use the plugins of this very tree. SSR_TEST_PLUGIN_DIR names a directory of
// plugins to use instead.
func firstPartyPlugins(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("SSR_TEST_PLUGIN_DIR"); dir != "" {
		return dir
	}
	pluginsOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			pluginsErr = errors.New("go is not installed: cannot build the language plugins")
			return
		}
		dir, err := os.MkdirTemp("", "ssr-plugins-")
		if err != nil {
			pluginsErr = err
			return
		}
		pluginsDir = dir
		for _, p := range []string{"ssr-lang-go", "ssr-lang-python"} {
			cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, p), "../cmd/"+p)
			if out, err := cmd.CombinedOutput(); err != nil {
				pluginsErr = errors.New("build " + p + ": " + err.Error() + "\n" + string(out))
				return
			}
		}
	})
	if pluginsErr != nil {
		t.Fatal(pluginsErr)
	}
	return pluginsDir
}

// testBuilder returns a Builder on the real engine with the first-party plugins, a fresh cache and a job
// label that dockertest checks for leftovers.
func testBuilder(t *testing.T, opts ...Option) (*Builder, *client.Client) {
	t.Helper()
	cli := dockertest.Client(t)
	dockertest.BaseImage(t)
	host := plugin.NewHost(plugin.WithDirs(firstPartyPlugins(t)))
	t.Cleanup(func() { host.Close() })
	prov, err := docker.New(cli)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithCacheDir(t.TempDir()), WithJob(dockertest.Job(t)), WithProgress(testLog{t})}, opts...)
	return NewBuilder(cli, prov, HostLanguages{Host: host}, opts...), cli
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// uniqueName gives a repo name no other test run uses, and removes its images when the test ends.
func uniqueName(t *testing.T, cli *client.Client, prefix string) string {
	var b [3]byte
	rand.Read(b[:])
	name := prefix + "-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		imgs, _ := FindImages(ctx, cli, name)
		for _, img := range imgs {
			cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
	return name
}

// TestBuildAndBaselineExamples builds both built-in examples on the real engine, checks that the baseline
// shows every shipped test passing, and that a second build reuses the image quickly.
func TestBuildAndBaselineExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images on the Docker Engine")
	}
	for _, ex := range []string{"pyledger", "gokit"} {
		t.Run(ex, func(t *testing.T) {
			b, cli := testBuilder(t)
			ctx := context.Background()
			repo := Repo{Name: uniqueName(t, cli, "test-"+ex), Source: Source{Example: ex}}

			img, err := b.Build(ctx, repo)
			if err != nil {
				t.Fatal(err)
			}
			if img.Cached || img.ID == "" || !strings.HasPrefix(img.Ref, ImageRepository+"/"+repo.Name+":"+img.Commit[:12]+"-") {
				t.Fatalf("first build: %+v", img)
			}
			t.Logf("%s: built %s in %s", ex, img.Ref, img.Duration.Round(time.Millisecond))
			insp, err := cli.ImageInspect(ctx, img.Ref)
			if err != nil {
				t.Fatal(err)
			}
			if insp.Config.Labels[LabelInputs] != img.Inputs || insp.Config.Labels[LabelCommit] != img.Commit || insp.Config.WorkingDir != "/repo" {
				t.Fatalf("image labels %v, workdir %q; want inputs %s, commit %s, /repo", insp.Config.Labels, insp.Config.WorkingDir, img.Inputs, img.Commit)
			}

			bl, err := b.Baseline(ctx, repo, img)
			if err != nil {
				t.Fatal(err)
			}
			counts := bl.Counts()
			if counts["passed"] < 40 || len(counts) != 1 || len(bl.Runs) != DefaultFlakeRuns {
				t.Fatalf("baseline counts %v over %d runs; want only passed tests, at least 40, over %d runs\n%s",
					counts, len(bl.Runs), DefaultFlakeRuns, bl.Runs[0].Output)
			}
			t.Logf("%s: baseline %v, runs took %s and %s", ex, counts, bl.Runs[0].Duration.Round(time.Millisecond), bl.Runs[1].Duration.Round(time.Millisecond))
			again, err := b.Baseline(ctx, repo, img)
			if err != nil || !again.Cached || len(again.Tests) != len(bl.Tests) {
				t.Fatalf("second baseline: cached=%v, %v", again != nil && again.Cached, err)
			}

			start := time.Now()
			img2, err := b.Build(ctx, repo)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); !img2.Cached || img2.ID != img.ID || d > 10*time.Second {
				t.Fatalf("second build: cached=%v id %s (first %s) in %s; want the same image reused in < 10s", img2.Cached, img2.ID, img.ID, d)
			}

			// A changed input (a manifest setup step) makes another image.
			repo.Setup = []string{"echo extra > /tmp/extra"}
			img3, err := b.Build(ctx, repo)
			if err != nil {
				t.Fatal(err)
			}
			if img3.Cached || img3.Ref == img.Ref || img3.Inputs == img.Inputs {
				t.Fatalf("build after a setup change reused %s", img3.Ref)
			}
		})
	}
}

// TestBuildReportsFailedSetup checks that a failing setup step names the step, shows its last lines and
// points to the build log.
func TestBuildReportsFailedSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images on the Docker Engine")
	}
	b, cli := testBuilder(t)
	repo := Repo{Name: uniqueName(t, cli, "test-badsetup"), Source: Source{Example: "pyledger"},
		Setup: []string{"for i in $(seq 1 30); do echo line-$i; done; exit 3"}}
	_, err := b.Build(context.Background(), repo)
	var se *SetupError
	if !errors.As(err, &se) || !errors.Is(err, ErrSetupFailed) {
		t.Fatalf("error %v, want a *SetupError", err)
	}
	if se.ExitCode != 3 || !strings.Contains(se.Tail, "line-30") || strings.Contains(se.Tail, "line-5\n") {
		t.Fatalf("setup error: exit %d, tail:\n%s", se.ExitCode, se.Tail)
	}
	log, rerr := os.ReadFile(se.Log)
	if rerr != nil || !strings.Contains(string(log), "line-1\n") {
		t.Fatalf("build log %s lacks the full output: %v", se.Log, rerr)
	}
}

// BenchmarkBuildAndBaseline measures, per example, a cold build and baseline (new image from the existing
// base image, tests run twice) and a warm one (image and baseline reused).
func BenchmarkBuildAndBaseline(b *testing.B) {
	for _, ex := range []string{"pyledger", "gokit"} {
		b.Run(ex, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchOnce(b, ex)
			}
		})
	}
}

func benchOnce(b *testing.B, ex string) {
	cli := dockertest.Client(b)
	dockertest.BaseImage(b)
	host := plugin.NewHost(plugin.WithDirs(firstPartyPlugins(b)))
	defer host.Close()
	prov, err := docker.New(cli)
	if err != nil {
		b.Fatal(err)
	}
	job := dockertest.Job(b)
	builder := NewBuilder(cli, prov, HostLanguages{Host: host}, WithCacheDir(b.TempDir()), WithJob(job))
	var rb [3]byte
	rand.Read(rb[:])
	repo := Repo{Name: "bench-" + ex + "-" + hex.EncodeToString(rb[:]), Source: Source{Example: ex}}
	defer func() {
		imgs, _ := FindImages(context.Background(), cli, repo.Name)
		for _, img := range imgs {
			cli.ImageRemove(context.Background(), img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	}()
	ctx := context.Background()
	measure := func(what string) {
		start := time.Now()
		img, err := builder.Build(ctx, repo)
		if err != nil {
			b.Fatal(err)
		}
		built := time.Since(start)
		if _, err := builder.Baseline(ctx, repo, img); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(built.Seconds(), what+"-build-s")
		b.ReportMetric((time.Since(start) - built).Seconds(), what+"-baseline-s")
	}
	measure("cold")
	measure("warm")
}
