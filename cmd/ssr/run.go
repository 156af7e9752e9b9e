package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/examples"
)

func init() {
	var resume, dbPath string
	var noSelect bool
	cmd := &cobra.Command{
		Use:   "run [CONFIG]",
		Short: "Run a self-play job (with no CONFIG: a short job on the built-in examples with the native agent)",
		Long: `Run a self-play job: injector episodes, validation, solver attempts, evaluation, rewards and order-2 bugs,
recorded in a SQLite database. With no CONFIG, a short job on the built-in example repositories with the native
agent; it sets up what is missing (the base image, the repo images) first. SIGINT or SIGTERM stop the job
cleanly; 'ssr run --resume JOB' continues it where it stopped, after a crash too.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if resume != "" && len(args) > 0 {
				return usageError{errors.New("give a CONFIG or --resume JOB, not both")}
			}
			return runJob(ctx, cmd.OutOrStdout(), dbPath, resume, args, runFlags{noSelect: noSelect})
		},
	}
	cmd.Flags().StringVar(&resume, "resume", "", "continue the job with this id")
	cmd.Flags().StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	cmd.Flags().BoolVar(&noSelect, "no-select", false, "run whole suites: set arena.select_tests to false (no per-test selection of artifacts' and the solver's tests)")
	rootCmd.AddCommand(cmd)
}

func defaultDB() string { return filepath.Join(repos.DefaultCacheDir(), "jobs.db") }

// runFlags are the flags of ssr run that override the job config.
type runFlags struct {
	noSelect bool // --no-select: arena.select_tests false
}

// apply sets what the flags override on cfg.
func (f runFlags) apply(cfg *arena.JobConfig) {
	if f.noSelect {
		cfg.Arena.SelectTests = false
	}
}

func runJob(ctx context.Context, out io.Writer, dbPath, resume string, args []string, flags runFlags) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if dbPath == "" {
		dbPath = defaultDB()
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return err
	}
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()

	var cfg *arena.JobConfig
	var job store.Job
	owner, err := docker.Self()
	if err != nil {
		return err
	}
	if resume != "" {
		job, err = st.GetJob(ctx, resume)
		if err != nil {
			return fmt.Errorf("resume %s: %w (list jobs with 'ssr jobs ls --db %s')", resume, err, dbPath)
		}
	} else {
		if len(args) == 1 {
			cfg, err = arena.LoadJobConfig(args[0])
		} else {
			c := arena.DefaultJobConfig(examples.Names())
			cfg = &c
		}
		if err != nil {
			return err
		}
		flags.apply(cfg)
		if _, err := newAgent(cfg, nil); err != nil { // a bad llm section fails before a job is recorded
			return err
		}
		if err := checkRunPolicy(cfg); err != nil { // and so do --policy and --train that cannot run
			return err
		}
		job = store.Job{ID: "job-" + time.Now().UTC().Format("20060102-150405") + "-" + fmt.Sprintf("%04x", os.Getpid()&0xffff),
			Name: cfg.Name, Config: cfg.YAML(), Status: store.JobRunning, Owner: owner.String()}
	}
	// One process per job: a second one stops here, before touching the job.
	lease, ctx, err := holdLease(ctx, st, job.ID, owner, out)
	if err != nil {
		return err
	}
	defer lease.release()
	if resume == "" {
		if err := st.CreateJob(ctx, job); err != nil {
			return err
		}
	}
	// From here on every way out records how the job ended: finished, stopped, or failed and why.
	defer func() { err = settleJob(ctx, out, st, job.ID, owner.String(), dbPath, err) }()
	if resume != "" {
		if cfg, err = arena.ParseJobConfig("job "+job.ID, []byte(job.Config)); err != nil {
			return err
		}
		flags.apply(cfg)
	}
	fmt.Fprintf(out, "job %s (%s), database %s\n", job.ID, cfg.Name, dbPath)
	list, err := arena.ReposOf(cfg)
	if err != nil {
		return err
	}
	if resume != "" {
		if err := checkRunPolicy(cfg); err != nil {
			return err
		}
	}
	sc, follower, trainDir, err := runScorer(dbPath, job.ID) // --policy, or --train's follower (run_train.go)
	if err != nil {
		return err
	}
	if follower != nil {
		out = &syncWriter{w: out} // the trainer's lines and the arena's progress share it
	}
	ag, err := newAgent(cfg, sc) // one per job: every episode shares it (and the LLM agent's model-call limit)
	if err != nil {
		return err
	}

	env, err := openSandboxEnv(ctx, out, cfg.Arena, owner, docker.WithLapsed(st.OwnerLapsed))
	if err != nil {
		return err
	}
	defer env.Close(ctx)
	budget, provider := env.budget, env.provider
	prepared, err := arena.Prepare(ctx, env.builder, list)
	if err != nil {
		return err
	}
	if err := arena.RecordBaselines(ctx, st, job.ID, prepared); err != nil {
		return err
	}
	for _, r := range prepared {
		fmt.Fprintf(out, "%s: %s\n", r.Name, r.Coverage.Summary())
	}
	if err := st.SetJobStatus(ctx, job.ID, store.JobRunning, owner.String()); err != nil {
		return err
	}
	metrics, err := startMetrics(ctx, out, budget.InUse) // --metrics-addr (run_metrics.go); nil without it
	if err != nil {
		return err
	}
	runner := &arena.Runner{
		Observer:   metrics.observer(),
		Arena:      arena.New(metrics.provider(provider), job.ID, cfg.Arena, nil),
		Store:      st,
		Repos:      prepared,
		Agent:      ag,
		Seed:       cfg.Seed,
		Strategies: cfg.StrategyShares(),
		Limits:     cfg.Limits,
		Progress:   out,
		Containers: budget.InUse,
	}
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	var trainer *runTrainer
	if follower != nil {
		if trainer, err = startRunTrainer(ctx, out, st, job.ID, trainDir, follower, runner.Observer, cancelRun); err != nil {
			return err
		}
	}
	start := time.Now()
	runErr := runner.Run(runCtx)
	if trainer != nil {
		runErr = trainOutcome(runCtx, runErr, trainer.finish(ctx))
	}
	bg := context.WithoutCancel(ctx)
	status, _ := jobOutcome(ctx, runErr)
	if c, err := st.Counts(bg, job.ID); err == nil {
		m := runner.Arena.Metrics()
		fmt.Fprintf(out, "job %s %s after %s: %d proposed, %d valid, %d rejected, %d bugs (%d order-2), %d attempts, %d solved; %d test runs took %s\n",
			job.ID, status, time.Since(start).Round(time.Second), c.Artifacts, c.Valid, c.Rejected, c.Bugs, c.Order2, c.Attempts, c.Solved,
			m.TestRuns(), m.TestTime().Round(time.Second))
	}
	return runErr
}
