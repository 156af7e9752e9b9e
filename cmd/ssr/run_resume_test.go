package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
)

// buildSSR builds ssr and the first-party plugins into a fresh directory.
func buildSSR(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	for _, p := range []string{"ssr", "ssr-lang-python", "ssr-lang-go"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, p), "../"+p).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", p, err, out)
		}
	}
	return bin
}

// runningJob is `ssr run` started as a real process on a small pyledger job (a mutation per bug, two
// attempts, one container), with the environment and database that a later --resume shares.
type runningJob struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser // stdout and stderr together
	db     string
	env    []string
}

// startJob writes a job config named name with the given limits and starts `ssr run` on it from bin.
func startJob(t *testing.T, bin, name, limits string) runningJob {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(cfg, []byte("name: "+name+`
examples: [pyledger]
seed: 3
strategies: {mutation: 1}
limits: `+limits+`
arena: {n_attempts: 2, containers: 1, order2_share: 0, solver_turns: 2}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	j := runningJob{db: filepath.Join(dir, "jobs.db"),
		env: append(os.Environ(), "SSR_CACHE_DIR="+filepath.Join(dir, "cache"), "SSR_PLUGIN_DIR="+bin)}
	j.cmd = exec.Command(filepath.Join(bin, "ssr"), "run", "--db", j.db, cfg)
	j.cmd.Env = j.env
	var err error
	if j.stdout, err = j.cmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	j.cmd.Stderr = j.cmd.Stdout
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return j
}

// pluginsRunning lists the live processes whose executable is a plugin in bin (read from /proc).
func pluginsRunning(t *testing.T, bin string) []string {
	t.Helper()
	exes, _ := filepath.Glob("/proc/[0-9]*/exe")
	if len(exes) == 0 {
		t.Skip("no /proc to look for leftover plugin processes in")
	}
	var left []string
	for _, exe := range exes {
		target, err := os.Readlink(exe)
		if err != nil || !strings.HasPrefix(filepath.Base(target), "ssr-lang-") || filepath.Dir(target) != bin {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(filepath.Dir(exe), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		left = append(left, filepath.Base(filepath.Dir(exe))+" "+filepath.Base(target))
	}
	return left
}

// waitNoPlugins fails the test when a plugin process of bin is still running after a short grace.
func waitNoPlugins(t *testing.T, bin, when string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := pluginsRunning(t, bin)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: plugin processes left: %v", when, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRunKilledAtBugLimitResumesOnce reproduces issue 11, items 2, 3 and 5 with real processes: `ssr run`
// is killed with SIGKILL once its one bug (the job's limit) is recorded but before that bug's attempts
// are; its plugins must die with it. Then two `ssr run --resume` start at once: one says in one line that
// the other runs the job and exits non-zero, the other finishes the open bug, so that the bookkeeping
// equals a clean run's (one bug, all its attempts, its injector reward).
func TestRunKilledAtBugLimitResumesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ssr and runs a job")
	}
	cli := dockertest.Client(t)
	dockertest.BaseImage(t)
	bin := buildSSR(t)
	const nAttempts = 2 // the job's n_attempts (startJob)
	run := startJob(t, bin, "atlimit", "{bugs: 1, proposed: 6}")
	cmd, stdout, db, env := run.cmd, run.stdout, run.db, run.env
	jobc := make(chan string, 1)
	var transcript strings.Builder
	var mu sync.Mutex
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		jobRE := regexp.MustCompile(`^job (job-\S+) \(atlimit\)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			transcript.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := jobRE.FindStringSubmatch(sc.Text()); m != nil {
				jobc <- m[1]
			}
		}
	}()
	output := func() string { mu.Lock(); defer mu.Unlock(); return transcript.String() }
	var job string
	select {
	case job = <-jobc:
	case <-time.After(10 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("no job line; output:\n%s", output())
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(15 * time.Minute)
	for {
		c, err := st.Counts(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if c.Bugs >= 1 {
			if c.Attempts >= nAttempts {
				t.Fatalf("the bug's attempts were recorded before the test could kill the job (it polls the store much faster than an attempt runs): %+v", c)
			}
			break
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			cmd.Process.Kill()
			t.Fatalf("no bug recorded in time: %+v; output:\n%s", c, output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	<-readDone
	before, _ := st.Counts(ctx, job)
	t.Logf("killed at %+v", before)
	waitNoPlugins(t, bin, "after kill -9 of ssr run")

	type result struct {
		out []byte
		err error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := exec.Command(filepath.Join(bin, "ssr"), "run", "--db", db, "--resume", job)
			r.Env = env
			results[i].out, results[i].err = r.CombinedOutput()
		}()
	}
	wg.Wait()
	var ran, refused int
	for _, r := range results {
		switch {
		case r.err == nil:
			ran++
		case strings.Contains(string(r.out), "ssr: job "+job+" is already running in process "):
			refused++
			if lines := strings.Count(strings.TrimSpace(string(r.out)), "\n"); lines != 0 {
				t.Errorf("the refused process printed more than one line:\n%s", r.out)
			}
		default:
			t.Errorf("ssr run --resume: %v\n%s", r.err, r.out)
		}
	}
	if ran != 1 || refused != 1 {
		t.Fatalf("two resumes at once: %d ran, %d refused; want one each\nfirst:\n%s\nsecond:\n%s", ran, refused, results[0].out, results[1].out)
	}
	waitNoPlugins(t, bin, "after the resumed job")

	c, err := st.Counts(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := st.GetJob(ctx, job)
	if j.Status != store.JobFinished || c.Bugs != 1 || c.Attempts != nAttempts || c.BugsDone != 1 || c.Pending != 0 {
		t.Fatalf("after resume: status %s, counts %+v; want what a clean run records: finished, 1 bug done with %d attempts", j.Status, c, nAttempts)
	}
	needs, err := st.BugsNeedingAttempts(ctx, job, nAttempts)
	if err != nil || len(needs) != 0 {
		t.Errorf("bugs still needing attempts: %v %v", needs, err)
	}
	if _, err := st.GetLease(ctx, job); err == nil {
		t.Errorf("the lease on %s is still held after the job ended", job)
	}
	if left, err := dockertest.Left(ctx, cli, job); err != nil || len(left) != 0 {
		t.Errorf("containers of job %s left: %v %v", job, left, err)
	}
}
