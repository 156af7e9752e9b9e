package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

func init() {
	var dbPath string
	var apply, asJSON bool
	cmd := &cobra.Command{
		Use:   "regrade JOB",
		Short: "Recompute a job's verdicts from its stored raw logs (no containers) and report what changed",
		Long: `Recompute every verdict of a job from the raw logs it stored, with the current parsers and rules and without
containers: each validation (steps, F2P, P2P, notes), each attempt's evaluation, the solvers' rewards, each bug's
solve rate and its injector's reward, and the advantages of the groups whose rewards moved. It needs each
repository's checkout and language plugin, not its image. Without --apply nothing is written; with --apply
every new verdict is written in one transaction. An artifact that is now valid gets an open bug, so that
'ssr run --resume JOB' runs its attempts; a bug whose artifact is now rejected is kept with its attempts.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openDB(cmd.Context(), dbPath)
			if err != nil {
				return err
			}
			defer st.Close()
			return regradeJob(cmd.Context(), cmd.OutOrStdout(), st, args[0], apply, asJSON)
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	cmd.Flags().BoolVar(&apply, "apply", false, "write the new verdicts (in one transaction)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	rootCmd.AddCommand(cmd)
}

func regradeJob(ctx context.Context, out io.Writer, st *store.Store, jobID string, apply, asJSON bool) error {
	job, err := st.GetJob(ctx, jobID)
	if err != nil {
		return err
	}
	cfg, err := arena.ParseJobConfig("job "+job.ID, []byte(job.Config))
	if err != nil {
		return err
	}
	list, err := arena.ReposOf(cfg)
	if err != nil {
		return err
	}
	host := plugin.NewHost()
	defer host.Close()
	// No engine and no sandbox provider: PrepareHost only clones and opens plugins.
	b := repos.NewBuilder(nil, nil, repos.HostLanguages{Host: host})
	prepared, err := arena.PrepareHost(ctx, b, list)
	if err != nil {
		return fmt.Errorf("regrade %s: %w", job.ID, err)
	}
	jr, err := arena.New(nil, job.ID, cfg.Arena, nil).RegradeJob(ctx, st, job.ID, prepared)
	if err != nil {
		return err
	}
	if apply && !jr.Apply.Empty() {
		if err := st.ApplyRegrade(ctx, jr.Apply); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*arena.JobRegrade
			Applied bool `json:"applied"`
		}{jr, apply && !jr.Apply.Empty()})
	}
	return printRegrade(out, job.ID, jr, apply)
}

func printRegrade(out io.Writer, job string, jr *arena.JobRegrade, apply bool) error {
	fmt.Fprintf(out, "regraded %s: %d validation(s), %d evaluation(s); %d change(s)\n", job, jr.Artifacts, jr.Attempts, len(jr.Changes))
	if len(jr.Changes) > 0 {
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tWHAT\tOLD\tNEW\tREASON")
		for _, c := range jr.Changes {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.What, c.Old, c.New, c.Reason)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	for _, s := range jr.Skipped {
		fmt.Fprintf(out, "skipped %s\n", s)
	}
	switch {
	case len(jr.Changes) == 0:
	case apply:
		fmt.Fprintln(out, "applied: the new verdicts are written")
	default:
		fmt.Fprintf(out, "nothing written: 'ssr regrade %s --apply' writes the new verdicts\n", job)
	}
	return nil
}
