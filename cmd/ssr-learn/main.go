// Command ssr-learn is the learning benchmark (`make learn`, not in CI): does self-play with in-process
// training make the native solver better on bugs it never trained on?
//
//  1. A job dedicated to the held-out set makes LEARN_BUGS first-order bugs on the built-in examples with the
//     native injector (mutation only; its curriculum held at its first stage, one invertible mutation, by
//     arena.curriculum: single), and `ssr policy freeze` freezes them.
//  2. `ssr policy eval uniform` measures the version-0 policy on the set.
//  3. A second job runs self-play with `ssr run --train` for LEARN_DURATION (its wall_time).
//  4. `ssr policy eval` measures the job's final version on the set.
//  5. The numbers, the valid-artifact share and solve rate over the run, the solve-rate distribution of the
//     injector's bugs and where they changed the code go into docs/learning.md and docs/learning.png.
//
// Each step leaves its output in LEARN_DIR and is skipped when it is there, so an interrupted benchmark
// continues where it stopped (a learning job cut short is resumed with `ssr run --resume JOB --train`).
// It runs the ssr on PATH.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// settings are the benchmark's knobs, read from the environment.
type settings struct {
	Duration   time.Duration // LEARN_DURATION: the self-play run's wall time (default 2h)
	Bugs       int           // LEARN_BUGS: bugs in the held-out set (default 40)
	Attempts   int           // LEARN_ATTEMPTS: eval attempts per bug (default 2)
	K          int           // LEARN_K: pass@k's k (default LEARN_ATTEMPTS)
	Containers int           // LEARN_CONTAINERS: containers alive at once in every job and eval (default 2)
	Dir        string        // LEARN_DIR: where the jobs, set, evals and logs live (default bin/learn)
	Docs       string        // LEARN_DOCS: where learning.md and learning.png go (default docs)
	Examples   string        // LEARN_EXAMPLES: the built-in examples, comma-separated (default pyledger,gokit)
}

func readSettings() (settings, error) {
	s := settings{Duration: 2 * time.Hour, Bugs: 40, Attempts: 2, Containers: 2, Dir: filepath.Join("bin", "learn"), Docs: "docs",
		Examples: "pyledger,gokit"}
	var errs []error
	if v := os.Getenv("LEARN_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("LEARN_DURATION=%s: give a positive duration such as 2h or 15m", v))
		}
		s.Duration = d
	}
	for name, p := range map[string]*int{"LEARN_BUGS": &s.Bugs, "LEARN_ATTEMPTS": &s.Attempts, "LEARN_K": &s.K, "LEARN_CONTAINERS": &s.Containers} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				errs = append(errs, fmt.Errorf("%s=%s: give a positive whole number", name, v))
			}
			*p = n
		}
	}
	s.K = cmp.Or(s.K, s.Attempts)
	if s.K > s.Attempts {
		errs = append(errs, fmt.Errorf("LEARN_K=%d is above LEARN_ATTEMPTS=%d: pass@k needs k attempts per bug", s.K, s.Attempts))
	}
	s.Dir = cmp.Or(os.Getenv("LEARN_DIR"), s.Dir)
	s.Docs = cmp.Or(os.Getenv("LEARN_DOCS"), s.Docs)
	s.Examples = cmp.Or(os.Getenv("LEARN_EXAMPLES"), s.Examples)
	return s, errors.Join(errs...)
}

// state is what the finished steps left, kept in LEARN_DIR/state.json.
type state struct {
	SetJob   string    `json:"set_job"`
	LearnJob string    `json:"learn_job"`
	Started  time.Time `json:"started"`
}

func main() {
	if err := learn(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "ssr-learn:", err)
		os.Exit(1)
	}
}

func learn(ctx context.Context) error {
	s, err := readSettings()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("ssr"); err != nil {
		return errors.New("no ssr on PATH: run it through 'make learn', which builds it")
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	st := state{Started: time.Now().UTC()}
	statePath := filepath.Join(s.Dir, "state.json")
	if raw, err := os.ReadFile(statePath); err == nil {
		_ = json.Unmarshal(raw, &st)
	}
	save := func() error {
		raw, _ := json.MarshalIndent(st, "", "  ")
		return os.WriteFile(statePath, raw, 0o644)
	}
	db := filepath.Join(s.Dir, "jobs.db")
	set := filepath.Join(s.Dir, "heldout.json")
	examples := "[" + s.Examples + "]"

	// 1. The held-out set.
	if _, err := os.Stat(set); err != nil {
		if st.SetJob == "" {
			cfg := filepath.Join(s.Dir, "heldout.yaml")
			// One attempt per bug: the job is here to make first-stage bugs, whatever its solver solves.
			if err := os.WriteFile(cfg, fmt.Appendf(nil, `name: heldout
examples: %s
seed: 101
strategies: {mutation: 1}
limits: {bugs: %d}
arena: {n_attempts: 1, containers: %d, order2_share: 0, curriculum: single}
`, examples, s.Bugs, s.Containers), 0o644); err != nil {
				return err
			}
			if st.SetJob, err = runJob(ctx, s, "heldout", "run", "--db", db, cfg); err != nil {
				return err
			}
			if err := save(); err != nil {
				return err
			}
		}
		if _, err := ssr(ctx, s, "freeze", "policy", "freeze", st.SetJob, "--db", db, "--order", "1", "--limit", strconv.Itoa(s.Bugs), "--out", set); err != nil {
			return err
		}
	}
	// 2. The version-0 policy on it.
	uniform := filepath.Join(s.Dir, "eval-uniform.json")
	if err := evalOnce(ctx, s, "uniform", set, uniform); err != nil {
		return err
	}
	// 3. Self-play with training.
	pdir := filepath.Join(s.Dir, "policies")
	if st.LearnJob == "" {
		cfg := filepath.Join(s.Dir, "learn.yaml")
		if err := os.WriteFile(cfg, fmt.Appendf(nil, `name: learn
examples: %s
seed: 202
strategies: {mutation: 1}
limits: {wall_time: %s}
arena: {n_attempts: 4, containers: %d}
`, examples, s.Duration, s.Containers), 0o644); err != nil {
			return err
		}
		st.Started = time.Now().UTC()
		if st.LearnJob, err = runJob(ctx, s, "learn", "run", "--db", db, "--train", "--policy", pdir, cfg); err != nil {
			return err
		}
		if err := save(); err != nil {
			return err
		}
	}
	// 4. The final version on the set.
	final := filepath.Join(s.Dir, "eval-final.json")
	if err := evalOnce(ctx, s, pdir, set, final); err != nil {
		return err
	}
	// 5. The report.
	r, err := gather(ctx, s, db, st, set, uniform, final)
	if err != nil {
		return err
	}
	return r.write(s)
}

// evalOnce runs `ssr policy eval` into out unless out is there already.
func evalOnce(ctx context.Context, s settings, checkpoint, set, out string) error {
	if _, err := os.Stat(out); err == nil {
		return nil
	}
	stdout, err := ssr(ctx, s, "eval-"+filepath.Base(checkpoint), "policy", "eval", checkpoint, "--bugs", set, "--attempts", strconv.Itoa(s.Attempts),
		"--k", strconv.Itoa(s.K), "--containers", strconv.Itoa(s.Containers), "--json")
	if err != nil {
		return err
	}
	return os.WriteFile(out, stdout, 0o644)
}

var jobLine = regexp.MustCompile(`^job (job-\S+) \(`)

// runJob runs `ssr run` (its output to the console and to a log) and returns the job's id.
func runJob(ctx context.Context, s settings, name string, args ...string) (string, error) {
	log, err := os.Create(filepath.Join(s.Dir, name+".log"))
	if err != nil {
		return "", err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "ssr", args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	fmt.Printf("== ssr %s\n", strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	job := ""
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(log, line)
		fmt.Println(line)
		if m := jobLine.FindStringSubmatch(line); m != nil && job == "" {
			job = m[1]
		}
	}
	if err := <-done; err != nil {
		return job, fmt.Errorf("ssr %s: %w (log: %s)", args[0], err, log.Name())
	}
	if job == "" {
		return "", fmt.Errorf("ssr %s printed no job id (log: %s)", args[0], log.Name())
	}
	return job, nil
}

// ssr runs one ssr command: its stderr to the console and a log, its stdout returned.
func ssr(ctx context.Context, s settings, name string, args ...string) ([]byte, error) {
	log, err := os.Create(filepath.Join(s.Dir, name+".log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	fmt.Printf("== ssr %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "ssr", args...)
	cmd.Stderr = io.MultiWriter(os.Stderr, log)
	out, err := cmd.Output()
	log.Write(out)
	if err != nil {
		return nil, fmt.Errorf("ssr %s: %w (log: %s)", strings.Join(args[:2], " "), err, log.Name())
	}
	return out, nil
}
