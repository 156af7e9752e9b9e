package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
)

// TestRunStopsCleanlyAndResumes runs `ssr run` as a real process, stops it with SIGTERM after its first unit
// of work, checks the job is recorded as stopped with no sandbox left, and resumes it to the end.
func TestRunStopsCleanlyAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ssr and runs a job")
	}
	cli := dockertest.Client(t)
	dockertest.BaseImage(t)
	bin := buildSSR(t)
	run := startJob(t, bin, "sigterm", "{bugs: 2, proposed: 6}")
	cmd, stdout, db, env := run.cmd, run.stdout, run.db, run.env
	jobRE := regexp.MustCompile(`^job (job-\S+) \(sigterm\)`)
	var job string
	var transcript strings.Builder
	sc := bufio.NewScanner(stdout)
	signalled := false
	for sc.Scan() {
		line := sc.Text()
		transcript.WriteString(line + "\n")
		if m := jobRE.FindStringSubmatch(line); m != nil {
			job = m[1]
		}
		if !signalled && strings.HasPrefix(line, "[") { // the first progress line: a unit of work is recorded
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	err := cmd.Wait()
	if err != nil || !signalled {
		t.Fatalf("ssr run: %v (signalled %v); output:\n%s", err, signalled, transcript.String())
	}
	if !strings.Contains(transcript.String(), "stopped; continue with: ssr run --resume "+job) {
		t.Fatalf("no resume hint after SIGTERM; output:\n%s", transcript.String())
	}
	ctx := context.Background()
	left, err := dockertest.Left(ctx, cli, job)
	if err != nil || len(left) != 0 {
		t.Fatalf("containers of job %s left after a clean stop: %v %v", job, left, err)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if j, err := st.GetJob(ctx, job); err != nil || j.Status != store.JobStopped {
		t.Fatalf("job after SIGTERM: %+v %v, want status stopped", j, err)
	}

	resume := exec.Command(filepath.Join(bin, "ssr"), "run", "--db", db, "--resume", job)
	resume.Env = env
	out, err := resume.CombinedOutput()
	if err != nil {
		t.Fatalf("ssr run --resume: %v\n%s", err, out)
	}
	c, err := st.Counts(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if j, _ := st.GetJob(ctx, job); j.Status != store.JobFinished || c.Bugs < 2 || c.Attempts != 2*c.Bugs || c.BugsDone != c.Bugs || c.Pending != 0 {
		t.Fatalf("after resume: status %s, counts %+v; output:\n%s", j.Status, c, out)
	}
}
