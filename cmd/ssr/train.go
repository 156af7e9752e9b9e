package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/kernels"
	"github.com/selfplay-swe/ssr/policy"
)

// uniformPolicy names the version-0 policy where a checkpoint is expected ('ssr policy eval uniform').
const uniformPolicy = "uniform"

// scorerFor is the native agent's scorer for a policy given on the command line: "" or "uniform" scores
// uniformly (version 0), a checkpoint file scores with that version, and a directory that 'ssr train'
// publishes to follows its newest version. flag names the option in errors.
func scorerFor(flag, spec string) (native.Scorer, error) {
	if spec == "" || spec == uniformPolicy {
		return native.Uniform{}, nil
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (give a policy-vNNNNNN.safetensors file, a directory 'ssr train' publishes to, or uniform)", flag, spec, err)
	}
	if fi.IsDir() {
		return policy.Follow(spec, policyFollowEvery)
	}
	return policy.Load(spec)
}

func init() {
	var dbPath, outDir string
	var watch time.Duration
	var rounds int
	var kern string
	tc := policy.DefaultTrainConfig
	mc := policy.DefaultConfig
	cmd := &cobra.Command{
		Use:   "train JOB",
		Short: "Train the shared policy from a job's rewarded episodes and publish numbered versions",
		Long: `Train the shared policy (docs/policy.md) from the rewarded episodes of JOB, read from the job database.
Each round trains on the episodes not trained on yet and publishes the next version: policy-vNNNNNN.safetensors
in --out, recorded in the database's policy_versions. trainer.safetensors in --out holds the trainer's whole
state: running 'ssr train' again continues exactly where it stopped. Without --watch it stops when a round finds
nothing new; with --watch it looks again after that long, until SIGINT or SIGTERM. Point 'ssr run --policy DIR'
at the same directory and the native agent follows the newest version.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if dbPath == "" {
				dbPath = defaultDB()
			}
			if outDir == "" {
				outDir = filepath.Join(filepath.Dir(dbPath), "policies", args[0])
			}
			st, err := openDB(ctx, dbPath)
			if err != nil {
				return err
			}
			defer st.Close()
			return trainJob(ctx, cmd.OutOrStdout(), st, args[0], outDir, mc, tc, kern, rounds, watch)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	f.StringVar(&outDir, "out", "", "where checkpoints are published (default: policies/JOB beside the database)")
	f.DurationVar(&watch, "watch", 0, "keep training: look for new episodes this often (0: stop when none are new)")
	f.IntVar(&rounds, "rounds", 0, "stop after this many published versions (0: no limit)")
	f.Uint64Var(&tc.Seed, "seed", tc.Seed, "seed of the initial weights and of minibatch order (a new run only)")
	f.Float64Var(&tc.LR, "lr", tc.LR, "Adam learning rate")
	f.Float64Var(&tc.Clip, "clip", tc.Clip, "PPO clipping ε of the importance ratio")
	f.Float64Var(&tc.Entropy, "entropy", tc.Entropy, "entropy bonus β")
	f.Float64Var(&tc.Hindsight, "hindsight", tc.Hindsight, "weight of the supervised term on the solver's fixes found in hindsight (0: rewards alone)")
	f.Float64Var(&tc.InjectorPull, "injector-pull", tc.InjectorPull, "weight of the injector's KL from the arena's spread prior (0: its learned scores go anywhere)")
	f.Int64Var(&tc.MaxStaleness, "max-staleness", tc.MaxStaleness, "drop episodes played more than this many versions ago")
	f.IntVar(&tc.PassK, "pass-k", tc.PassK, "train solvers for pass@k (advantages from the group's pass@k estimate); 1 is pass@1")
	f.IntVar(&tc.Epochs, "epochs", tc.Epochs, "passes over each round's decisions")
	f.IntVar(&mc.Hidden, "hidden", mc.Hidden, "hidden units of a new model")
	addKernelsFlag(f, &kern)
	rootCmd.AddCommand(cmd)
}

// trainJob runs training rounds over the job's episodes until nothing is new (or, with watch, until ctx ends).
func trainJob(ctx context.Context, out io.Writer, st *store.Store, job, dir string, mc policy.Config, tc policy.TrainConfig,
	kern string, rounds int, watch time.Duration) error {
	jt, err := openJobTrainer(ctx, out, st, job, dir, mc, tc, kern)
	if err != nil {
		return err
	}
	defer jt.close()
	published := 0
	for {
		rep, err := jt.round(ctx)
		if err != nil {
			return err
		}
		if rep.Published {
			published++
			if rounds > 0 && published >= rounds {
				return nil
			}
			continue
		}
		if watch <= 0 {
			fmt.Fprintf(out, "nothing new to train on (%d episodes waiting for their group, %d stale dropped in all); version %d\n",
				rep.Waiting, rep.DroppedTotal, jt.tr.Version())
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(watch):
		}
	}
}

// jobTrainer trains the shared policy on one job's rewarded episodes and publishes every new version into
// dir; 'ssr train' and 'ssr run --train' both drive one. It is not safe for concurrent use.
type jobTrainer struct {
	st        *store.Store
	job, dir  string
	tr        *policy.Trainer
	out       io.Writer
	onPublish func(*policy.Model) // told of each version once it is published; nil for none
	kernels   kernels.Backend
}

// addKernelsFlag registers --kernels, the trainer's kernel backend, on a command that trains.
func addKernelsFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "kernels", "cpu", "the trainer's kernel backend: cpu, or cuda in a binary built with -tags ssr_cuda (docs/policy.md, Kernels)")
}

// close releases the trainer's kernel backend (a device context).
func (t *jobTrainer) close() {
	if err := t.kernels.Close(); err != nil {
		fmt.Fprintf(t.out, "warning: %v\n", err)
	}
}

// openJobTrainer resumes the trainer whose state is in dir (its trainer.safetensors), or starts a new one
// with mc and tc; it trains with the kernel backend called kern. Close it when done.
func openJobTrainer(ctx context.Context, out io.Writer, st *store.Store, job, dir string, mc policy.Config, tc policy.TrainConfig,
	kern string) (*jobTrainer, error) {
	if _, err := st.GetJob(ctx, job); err != nil {
		return nil, err
	}
	k, err := kernels.Open(kern)
	if err != nil {
		return nil, fmt.Errorf("--kernels %s: %w", kern, err)
	}
	jt := &jobTrainer{st: st, job: job, dir: dir, out: out, kernels: k}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		jt.close()
		return nil, fmt.Errorf("train: %w", err)
	}
	if jt.tr, err = openTrainer(filepath.Join(dir, policy.TrainerFile), mc, tc); err != nil {
		jt.close()
		return nil, err
	}
	jt.tr.UseKernels(k)
	fmt.Fprintf(out, "training job %s from version %d with %s kernels, publishing to %s\n", job, jt.tr.Version(), k.Name(), dir)
	return jt, nil
}

// round trains on what is new and, when that made a version, publishes it. A round cut short by ctx
// publishes nothing and leaves the trainer's state on disk as it was: the next run redoes the round.
func (t *jobTrainer) round(ctx context.Context) (policy.Report, error) {
	rep, err := t.tr.Round(ctx, storeSource{st: t.st, job: t.job})
	if err != nil || !rep.Published {
		return rep, err
	}
	if err := publish(ctx, t.st, t.tr, t.dir, rep); err != nil {
		return rep, err
	}
	pulled := "no injector decision"
	if rep.Stats.Pulled > 0 {
		pulled = fmt.Sprintf("injector's KL from its prior %.3f", rep.Stats.PriorKL)
	}
	fmt.Fprintf(t.out, "version %d: %d decisions from %d episodes, %d steps, loss %.4f, entropy %.3f, clipped %.0f%%, p(fixes) %.3f, %s, %d stale dropped (%d in all)\n",
		rep.Version, rep.Decisions, rep.Episodes, rep.Steps, rep.Stats.Loss, rep.Stats.Entropy, 100*rep.Stats.ClipFrac, rep.Stats.Fixes, pulled,
		rep.Dropped, rep.DroppedTotal)
	if t.onPublish != nil {
		t.onPublish(t.tr.Model())
	}
	return rep, nil
}

// openTrainer resumes from the trainer state in path, or starts a new model.
func openTrainer(path string, mc policy.Config, tc policy.TrainConfig) (*policy.Trainer, error) {
	if _, err := os.Stat(path); err == nil {
		return policy.LoadTrainer(path)
	}
	m, err := policy.New(mc, tc.Seed)
	if err != nil {
		return nil, err
	}
	return policy.NewTrainer(m, tc)
}

// publish writes the new version's weights, records it, then saves the trainer state. A crash between the
// record and the state makes the next run redo the round, which gives the same version (a duplicate record
// is then expected and ignored).
func publish(ctx context.Context, st *store.Store, tr *policy.Trainer, dir string, rep policy.Report) error {
	path := filepath.Join(dir, policy.VersionFile(rep.Version))
	if err := tr.Model().Save(path); err != nil {
		return err
	}
	metrics, _ := json.Marshal(rep)
	abs, _ := filepath.Abs(path)
	err := st.AddPolicyVersion(ctx, store.PolicyVersion{Version: rep.Version, Checkpoint: abs, Metrics: metrics})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return err
	}
	return tr.Save(filepath.Join(dir, policy.TrainerFile))
}

// storeSource is the trainer's Source over a job's store.
type storeSource struct {
	st  *store.Store
	job string
}

func (s storeSource) Groups(ctx context.Context) ([]policy.Group, error) {
	var out []policy.Group
	for _, role := range []store.Role{store.RoleInjector, store.RoleSolver} {
		gs, err := s.st.RewardGroups(ctx, s.job, role)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			pg := policy.Group{Role: agent.Role(role), Key: g.Key}
			for _, m := range g.Members {
				pg.Members = append(pg.Members, policy.Member{Episode: m.EpisodeID, PolicyVersion: m.PolicyVersion, Reward: m.Reward})
			}
			out = append(out, pg)
		}
	}
	return out, nil
}

func (s storeSource) Turns(ctx context.Context, episode string) ([]agent.Turn, error) {
	raw, err := s.st.EpisodeTurns(ctx, episode)
	if err != nil {
		return nil, err
	}
	var turns []agent.Turn
	if err := json.Unmarshal(raw, &turns); err != nil {
		return nil, fmt.Errorf("turns of episode %s: %w", episode, err)
	}
	return turns, nil
}
