package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/examples"
)

// The soak (`make soak`, never in CI): `ssr run` on the built-in examples for SOAK_DURATION, killed with
// SIGKILL at random moments and resumed with `ssr run --resume` each time; a job that finishes is followed
// by a new one. When the time is up the job in progress runs to its end. Then the store, the engine and
// /proc are checked (soak_check_test.go) and a report is written to SOAK_REPORT.
const soakEnv = "SSR_SOAK"

// soakSettings are the soak's knobs, from the environment.
type soakSettings struct {
	duration   time.Duration // SOAK_DURATION: how long jobs are killed and resumed (default 1h)
	killEvery  time.Duration // SOAK_KILL_EVERY: the mean time between kills; each is drawn from [0.5x, 1.5x] (default 3m)
	bugs       int           // SOAK_BUGS: each job's bug limit (default 6)
	finishWait time.Duration // SOAK_FINISH_TIMEOUT: how long the last job may take to finish (default 30m)
	seed       uint64        // SOAK_SEED: the kill moments' generator (default: the clock)
	report     string        // SOAK_REPORT: the markdown report (default bin/soak.md)
	dir        string        // SOAK_DIR: database, cache and logs (default bin/soak-<time>)
}

func soakSettingsFromEnv(t *testing.T) soakSettings {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	s := soakSettings{duration: time.Hour, killEvery: 3 * time.Minute, bugs: 6, finishWait: 30 * time.Minute,
		seed: uint64(time.Now().UnixNano()), report: filepath.Join(root, "bin", "soak.md"),
		dir: filepath.Join(root, "bin", "soak-"+time.Now().UTC().Format("20060102-150405"))}
	dur := func(name string, into *time.Duration) {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				t.Fatalf("%s=%q is not a positive duration: give e.g. 6m or 1h", name, v)
			}
			*into = d
		}
	}
	dur("SOAK_DURATION", &s.duration)
	dur("SOAK_KILL_EVERY", &s.killEvery)
	dur("SOAK_FINISH_TIMEOUT", &s.finishWait)
	if v := os.Getenv("SOAK_BUGS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SOAK_BUGS=%q is not a positive number of bugs per job: give e.g. 6", v)
		}
		s.bugs = n
	}
	if v := os.Getenv("SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q is not a number: give e.g. 7, or leave it unset for the clock", v)
		}
		s.seed = n
	}
	for name, into := range map[string]*string{"SOAK_REPORT": &s.report, "SOAK_DIR": &s.dir} {
		if v := os.Getenv(name); v != "" {
			if *into, err = filepath.Abs(v); err != nil {
				t.Fatalf("%s=%q: %v", name, v, err)
			}
		}
	}
	return s
}

// soakConfig is every soak job's config: the demo job (`ssr run` with no arguments) with a bug limit of
// bugs and no wall-time limit, so that a job ends only when its work is done.
func soakConfig(bugs int, seed uint64) *arena.JobConfig {
	c := arena.DefaultJobConfig(examples.Names())
	c.Name = "soak"
	c.Seed = seed
	c.Limits = arena.Limits{Bugs: bugs, Proposed: 4 * bugs}
	return &c
}

// soakRun is one `ssr run` process of the soak.
type soakRun struct {
	cmd   *exec.Cmd
	out   *os.File      // the read end of its output pipe
	job   chan string   // the job id, once printed
	done  chan struct{} // closed when the process has exited and its output is read
	err   error         // Wait's
	mu    sync.Mutex
	last  string   // the last line it printed
	lines []string // lines worth reporting: reaps at start
}

func (r *soakRun) lastLine() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

var soakJobRE = regexp.MustCompile(`^job (job-\S+) \(`)

// startSoakRun starts `ssr run ARGS...` with its output appended to logPath.
func startSoakRun(t *testing.T, bin string, env []string, logPath string, args ...string) *soakRun {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "\n=== %s ssr run %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(args, " "))
	r := &soakRun{cmd: exec.Command(filepath.Join(bin, "ssr"), append([]string{"run"}, args...)...),
		job: make(chan string, 1), done: make(chan struct{})}
	r.cmd.Env = env
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stderr = r.cmd.Stdout
	r.out, _ = out.(*os.File)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		defer logf.Close()
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			r.mu.Lock()
			r.last = line
			if strings.HasPrefix(line, "removed ") || strings.HasPrefix(line, "stopped ") {
				r.lines = append(r.lines, line)
			}
			r.mu.Unlock()
			if m := soakJobRE.FindStringSubmatch(line); m != nil {
				select {
				case r.job <- m[1]:
				default:
				}
			}
		}
		r.err = r.cmd.Wait()
	}()
	return r
}

// kill sends SIGKILL and waits for the process to exit and its output to end. Another process that still
// holds the output pipe after limit (a child that outlived ssr) is named in the returned note, and the
// harness's end of the pipe is closed so that the soak goes on.
func (r *soakRun) kill(limit time.Duration) string {
	r.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-r.done:
		return ""
	case <-time.After(limit):
	}
	note := fmt.Sprintf("ssr %d killed, but its output was still open %s later", r.cmd.Process.Pid, limit)
	if r.out != nil {
		if h := pipeHolders(r.out); len(h) > 0 {
			note += ", held by " + strings.Join(h, "; ")
		}
		r.out.Close()
	}
	<-r.done
	return note
}

// soakKill records one SIGKILL.
type soakKill struct {
	at       time.Duration // since the soak started
	job      string
	counts   store.Counts
	lastLine string
	plugins  int // plugin processes of this build still running 5 s after the kill
}

// soakLog is what happened, for the report.
type soakLog struct {
	settings   soakSettings
	started    time.Time
	killPhase  time.Duration
	finished   time.Time
	jobs       []string
	kills      []soakKill
	resumes    int
	exits      []string // how runs ended other than by a kill: "job-x: exit status 0"
	reaped     []string // what runs said they cleaned up at start
	pids       []int    // every ssr process of the soak
	stalls     []string // the watchdog's findings, and kills whose output did not end
	unfinished string   // set when the last job did not finish in time
}

// noteJob adds job to the soak's jobs, once, and returns it.
func (l *soakLog) noteJob(job string) string {
	if !slices.Contains(l.jobs, job) {
		l.jobs = append(l.jobs, job)
	}
	return job
}

// TestSoak is the soak (see soakEnv). It is skipped unless SSR_SOAK=1.
func TestSoak(t *testing.T) {
	if os.Getenv(soakEnv) != "1" {
		t.Skipf("the soak runs for an hour: set %s=1 (make soak)", soakEnv)
	}
	set := soakSettingsFromEnv(t)
	cli := dockertest.Client(t)
	dockertest.BaseImage(t)
	if err := os.MkdirAll(set.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := buildSSR(t)
	log := &soakLog{settings: set, started: time.Now()}
	// newJob writes the next job's config (each job its own seed) and returns its path.
	newJob := func() string {
		n := len(log.jobs) + 1
		path := filepath.Join(set.dir, fmt.Sprintf("job-%d.yaml", n))
		if err := os.WriteFile(path, []byte(soakConfig(set.bugs, 31+uint64(n)).YAML()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	db := filepath.Join(set.dir, "jobs.db")
	logPath := filepath.Join(set.dir, "ssr.log")
	env := append(os.Environ(), "SSR_CACHE_DIR="+filepath.Join(set.dir, "cache"), "SSR_PLUGIN_DIR="+bin)
	rng := rand.New(rand.NewPCG(set.seed, 0x50a4))
	t.Logf("soak: %s of kills every ~%s, %d bugs a job; log %s, report %s", set.duration, set.killEvery, set.bugs, logPath, set.report)

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := log.started.Add(set.duration)
	watch := newSoakWatch(set.dir)
	const stepLimit = 2 * time.Minute // a harness step that is not a wait on ssr's own work
	var job string                    // the job the current run works on ("" until it prints it)
	start := func(args ...string) *soakRun {
		r := startSoakRun(t, bin, env, logPath, append([]string{"--db", db}, args...)...)
		log.pids = append(log.pids, r.cmd.Process.Pid)
		return r
	}
	run := start(newJob())
	collect := func(r *soakRun) {
		r.mu.Lock()
		log.reaped = append(log.reaped, r.lines...)
		r.mu.Unlock()
	}
	// resumeTarget is the job to resume after a kill: the one the run printed, else the newest job that is
	// not finished (the run may have died between recording the job and printing it).
	resumeTarget := func() string {
		if job != "" {
			return job
		}
		jobs, err := st.ListJobs(ctx)
		if err != nil {
			t.Fatalf("list jobs: %v", err)
		}
		for _, j := range jobs { // newest first
			if j.Status != store.JobFinished {
				return j.ID
			}
		}
		return ""
	}
	for time.Now().Before(deadline) {
		killAt := time.Now().Add(time.Duration(float64(set.killEvery) * (0.5 + rng.Float64())))
		timer := time.NewTimer(time.Until(minTime(killAt, deadline)))
		killed := false
		for !killed && run != nil {
			watch.expect(fmt.Sprintf("ssr %d runs until the next kill", run.cmd.Process.Pid), time.Until(killAt)+stepLimit, run.cmd.Process.Pid)
			select {
			case j := <-run.job:
				job = log.noteJob(j)
			case <-run.done:
				collect(run)
				log.exits = append(log.exits, fmt.Sprintf("%s: %v", cmp.Or(job, "(no job yet)"), exitText(run.err)))
				if run.err != nil {
					t.Logf("ssr run ended on its own: %v; resuming", run.err)
					run = start("--resume", resumeTarget())
					log.resumes++
				} else {
					job = "" // finished: the next job
					run = start(newJob())
				}
			case <-timer.C:
				killed = true
			}
		}
		if !time.Now().Before(deadline) {
			break
		}
		k := soakKill{at: time.Since(log.started), job: job, lastLine: run.lastLine()}
		watch.expect(fmt.Sprintf("kill ssr %d and read the store", run.cmd.Process.Pid), 2*stepLimit, 0)
		if note := run.kill(time.Minute); note != "" {
			log.stalls = append(log.stalls, note)
			t.Log(note)
		}
		collect(run)
		if k.job == "" {
			k.job = resumeTarget()
		}
		if k.job != "" {
			k.counts, _ = st.Counts(ctx, k.job)
		}
		time.Sleep(5 * time.Second)
		k.plugins = len(pluginsRunning(t, bin))
		log.kills = append(log.kills, k)
		t.Logf("kill %d at %s: job %s at %d bugs, %d attempts; last line %q", len(log.kills), k.at.Round(time.Second), k.job, k.counts.Bugs, k.counts.Attempts, k.lastLine)
		if target := resumeTarget(); target != "" {
			job = log.noteJob(target)
			run = start("--resume", job)
			log.resumes++
		} else {
			run = start(newJob()) // killed before it recorded a job
		}
	}
	log.killPhase = time.Since(log.started)
	t.Logf("kill phase over after %s; letting the job in progress finish", log.killPhase.Round(time.Second))
	finish := time.NewTimer(set.finishWait)
	watch.expect(fmt.Sprintf("the last run, ssr %d, finishes", run.cmd.Process.Pid), set.finishWait+stepLimit, run.cmd.Process.Pid)
	for ended := false; !ended; {
		select {
		case j := <-run.job:
			job = log.noteJob(j)
		case <-run.done:
			ended = true
		case <-finish.C:
			log.unfinished = fmt.Sprintf("the last run had not ended %s after the kill phase; killed", set.finishWait)
			if note := run.kill(time.Minute); note != "" {
				log.stalls = append(log.stalls, note)
			}
			ended = true
		}
	}
	collect(run)
	log.exits = append(log.exits, fmt.Sprintf("%s: %v (the last run)", cmp.Or(job, "(no job)"), exitText(run.err)))
	log.finished = time.Now()
	log.stalls = append(log.stalls, watch.close()...)

	rep := checkSoak(t, ctx, cli, st, db, bin, log)
	if err := os.MkdirAll(filepath.Dir(set.report), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(set.report, []byte(rep.markdown(log)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %s", set.report)
	for _, p := range rep.problems {
		t.Errorf("soak: %s", p)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
