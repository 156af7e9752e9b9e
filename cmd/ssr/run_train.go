package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/kernels"
	"github.com/selfplay-swe/ssr/policy"
)

// The policy side of `ssr run`: --policy scores the native agent with a published version, --train runs the
// trainer in process beside the arena. The flags are registered on the run command from here so that
// run.go stays the arena's.
var runPolicy struct {
	policy  string        // --policy: a checkpoint file or a published directory
	train   bool          // --train
	every   time.Duration // --train-every
	kernels string        // --kernels
}

// policyFollowEvery is how often an agent following a directory looks for a newer version.
const policyFollowEvery = 10 * time.Second

func init() {
	for _, c := range rootCmd.Commands() {
		if c.Name() != "run" {
			continue
		}
		f := c.Flags()
		f.StringVar(&runPolicy.policy, "policy", "", "score the native agent with this policy: a checkpoint file, or a directory that 'ssr train' publishes to (the newest version is followed); with --train, the directory to publish into (default: policies/JOB beside the database)")
		f.BoolVar(&runPolicy.train, "train", false, "train the shared policy in this process while the job runs, publishing numbered versions that the native agent follows (with --resume: continue the trainer from its last checkpoint)")
		f.DurationVar(&runPolicy.every, "train-every", 30*time.Second, "with --train: how long the trainer waits between rounds")
		addKernelsFlag(f, &runPolicy.kernels)
	}
}

// policyDirOf is where a job's versions are published unless told otherwise: policies/JOB beside the database.
func policyDirOf(dbPath, job string) string {
	return filepath.Join(filepath.Dir(dbPath), "policies", job)
}

// checkRunPolicy refuses --policy and --train settings that cannot run, before a job is recorded.
func checkRunPolicy(cfg *arena.JobConfig) error {
	p := runPolicy
	if err := kernels.Compiled(p.kernels); err != nil {
		return usageError{fmt.Errorf("--kernels %s: %w", p.kernels, err)}
	}
	if !p.train && p.kernels != "cpu" {
		return usageError{fmt.Errorf("--kernels %s chooses the trainer's backend: add --train, or leave --kernels out", p.kernels)}
	}
	if !p.train {
		_, err := scorerFor("--policy", p.policy)
		return err
	}
	if cfg.Agent != "" && cfg.Agent != arena.AgentNative {
		return usageError{fmt.Errorf("--train trains the native agent's policy, and this job's agent is %s: drop --train or use agent: native", cfg.Agent)}
	}
	if p.every <= 0 {
		return usageError{fmt.Errorf("--train-every %s: give a positive duration such as 30s", p.every)}
	}
	if fi, err := os.Stat(p.policy); p.policy != "" && err == nil && !fi.IsDir() {
		return usageError{fmt.Errorf("--policy %s is a file, and --train publishes into a directory: give a directory or leave --policy out", p.policy)}
	}
	return nil
}

// runScorer is the native agent's scorer for a run of job: --policy's; with --train, a follower of the
// directory the in-process trainer publishes into (made here; its path is dir), which is then returned too.
func runScorer(dbPath, job string) (sc native.Scorer, follower *policy.Follower, dir string, err error) {
	if !runPolicy.train {
		sc, err = scorerFor("--policy", runPolicy.policy)
		return sc, nil, "", err
	}
	dir = cmp.Or(runPolicy.policy, policyDirOf(dbPath, job))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, "", fmt.Errorf("--train: %w", err)
	}
	if follower, err = policy.Follow(dir, policyFollowEvery); err != nil {
		return nil, nil, "", err
	}
	return follower, follower, dir, nil
}

// runTrainer is the trainer of `ssr run --train`: it trains in rounds, --train-every apart, on what the
// job's rollouts recorded, while they go on; every version it publishes goes into the directory the agent's
// Follower reads and is handed to it at once.
type runTrainer struct {
	jt    *jobTrainer
	every time.Duration
	stop  chan struct{}
	wg    conc.WaitGroup
	err   error // the loop's error, read after wg.Wait
}

// startRunTrainer opens (or resumes) the job's trainer in dir and starts its rounds. A round that fails
// cancels the rollouts through cancelRun with the error as the cause; finish returns it.
func startRunTrainer(ctx context.Context, out io.Writer, st *store.Store, job, dir string, follower *policy.Follower,
	obs arena.Observer, cancelRun context.CancelCauseFunc) (*runTrainer, error) {
	jt, err := openJobTrainer(ctx, out, st, job, dir, policy.DefaultConfig, policy.DefaultTrainConfig, runPolicy.kernels)
	if err != nil {
		return nil, err
	}
	jt.onPublish = func(m *policy.Model) {
		follower.Set(m) // the next score uses it, without waiting for the follower's next look
		if obs != nil {
			obs.PolicyVersion(m.Version())
		}
	}
	// The agent starts from the trainer's weights: a resumed trainer's last version, whatever the directory
	// holds besides.
	if jt.tr.Version() > follower.Version() {
		follower.Set(jt.tr.Model())
	}
	t := &runTrainer{jt: jt, every: runPolicy.every, stop: make(chan struct{})}
	t.wg.Go(func() {
		for {
			if _, err := jt.round(ctx); err != nil {
				if ctx.Err() == nil {
					t.err = fmt.Errorf("train: %w", err)
					cancelRun(t.err)
				}
				return
			}
			select {
			case <-t.stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(t.every):
			}
		}
	})
	return t, nil
}

// finish stops the rounds (a round in progress completes) and, unless ctx is done (the job was stopped),
// trains once more on what the last rollouts recorded, so that the newest version has seen every episode.
func (t *runTrainer) finish(ctx context.Context) error {
	close(t.stop)
	t.wg.Wait()
	defer t.jt.close()
	if t.err != nil || ctx.Err() != nil {
		return t.err
	}
	if _, err := t.jt.round(ctx); err != nil && ctx.Err() == nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// syncWriter serialises writes: with --train the trainer's lines and the arena's progress share one output.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// trainOutcome is the run's error once the trainer has finished: a trainer error that cancelled the
// rollouts replaces the cancellation it caused; one of its own is added to the run's.
func trainOutcome(runCtx context.Context, runErr, trainErr error) error {
	if trainErr == nil {
		return runErr
	}
	if errors.Is(context.Cause(runCtx), trainErr) {
		return trainErr
	}
	return errors.Join(runErr, trainErr)
}
