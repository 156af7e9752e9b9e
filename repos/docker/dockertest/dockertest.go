package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/selfplay-swe/ssr/repos/docker"
)

// RequireEnv is the environment variable that turns a missing engine from a skip into a failure (CI sets it).
const RequireEnv = "SSR_REQUIRE_DOCKER"

var (
	connOnce sync.Once
	conn     *client.Client
	connErr  error

	baseOnce sync.Once
	baseRef  string
	baseErr  error
)

// Client returns a shared engine client. When the engine does not answer, the test is skipped with the
// address tried, or fails when SSR_REQUIRE_DOCKER=1.
func Client(t testing.TB) *client.Client {
	t.Helper()
	connOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		conn, connErr = docker.Connect(ctx)
	})
	if connErr != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v (%s=1 makes this a failure)", connErr, RequireEnv)
		}
		t.Skipf("%v; set %s=1 to make this a failure", connErr, RequireEnv)
	}
	return conn
}

// BaseImage returns the shared base image (docker.DefaultRecipe), building it when this engine lacks it:
// on a fresh machine that debootstraps Debian, which takes a minute or more; later runs reuse it.
func BaseImage(t testing.TB) string {
	t.Helper()
	cli := Client(t)
	baseOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		start := time.Now()
		baseRef, baseErr = docker.EnsureBase(ctx, cli, docker.DefaultRecipe(), docker.WithProgress(logWriter{t}))
		if d := time.Since(start); d > 5*time.Second {
			t.Logf("dockertest: base image %s built in %s (first run on this machine; later runs reuse it)", baseRef, d.Round(time.Second))
		}
	})
	if baseErr != nil {
		t.Fatalf("dockertest: base image: %v", baseErr)
	}
	return baseRef
}

// logWriter sends bootstrap progress to the test log, one line per write.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); strings.HasPrefix(s, "ssr:") {
		w.t.Log(s)
	}
	return len(p), nil
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// Job returns a job label unique to this test run and registers a check, run when the test and all its
// cleanups registered later are done, that fails the test if any container labelled with it remains
// (and removes them).
func Job(t testing.TB) string {
	t.Helper()
	cli := Client(t)
	var b [4]byte
	rand.Read(b[:])
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	job := "test-" + name + "-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { CheckNoContainers(t, cli, job) })
	return job
}

// LeftEngine is what Left and CheckNoContainers need of the engine.
type LeftEngine interface {
	docker.ListEngine
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
}

// Left lists the containers labelled with job that still exist. The engine has listed a container that an
// inspect right after did not know (CI, 2026-12-03), so a listed container that the engine no longer knows
// is not counted.
func Left(ctx context.Context, cli LeftEngine, job string) ([]docker.Info, error) {
	listed, err := docker.List(ctx, cli, job)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(listed, func(c docker.Info) bool {
		_, err := cli.ContainerInspect(ctx, c.ID)
		return errdefs.IsNotFound(err)
	}), nil
}

// CheckNoContainers fails t if containers labelled with job exist (Left), and removes them.
func CheckNoContainers(t testing.TB, cli LeftEngine, job string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	left, err := Left(ctx, cli, job)
	if err != nil {
		t.Errorf("dockertest: list containers of job %s: %v", job, err)
		return
	}
	for _, c := range left {
		t.Errorf("dockertest: container %.12s (job %s, role %s, %s) left behind", c.ID, c.Job, c.Role, c.State)
		cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
}
