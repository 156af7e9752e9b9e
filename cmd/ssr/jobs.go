package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena/store"
)

func init() {
	var dbPath string
	jobs := &cobra.Command{Use: "jobs", Short: "List and inspect self-play jobs in a job database"}
	jobs.PersistentFlags().StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	open := func(cmd *cobra.Command) (*store.Store, error) { return openDB(cmd.Context(), dbPath) }
	jobs.AddCommand(&cobra.Command{
		Use:   "ls",
		Short: "List jobs: id, name, status, bugs, attempts, solve rate",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.ListJobs(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "JOB\tNAME\tSTATUS\tPROPOSED\tVALID\tBUGS\tORDER-2\tATTEMPTS\tSOLVED\tUPDATED\tREASON")
			for _, j := range list {
				c, err := st.Counts(cmd.Context(), j.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", j.ID, j.Name, j.Status, c.Artifacts, c.Valid, c.Bugs, c.Order2,
					c.Attempts, c.Solved, j.Updated.Local().Format("2006-01-02 15:04:05"), oneLine(j.Reason))
			}
			return w.Flush()
		},
	})
	jobs.AddCommand(&cobra.Command{
		Use:   "show JOB",
		Short: "Show a job's configuration, counts and mean rewards",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			j, err := st.GetJob(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			c, err := st.Counts(cmd.Context(), j.ID)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "job %s (%s): %s, owner %s\n", j.ID, j.Name, j.Status, j.Owner)
			if j.Reason != "" {
				fmt.Fprintf(out, "failed: %s\n", j.Reason)
			}
			fmt.Fprintf(out, "artifacts: %d proposed, %d valid, %d rejected, %d pending\n", c.Artifacts, c.Valid, c.Rejected, c.Pending)
			fmt.Fprintf(out, "bugs: %d (%d order-2), %d done\n", c.Bugs, c.Order2, c.BugsDone)
			rate := 0.0
			if c.Attempts > 0 {
				rate = float64(c.Solved) / float64(c.Attempts)
			}
			fmt.Fprintf(out, "attempts: %d, %d solved (%.0f%%)\n", c.Attempts, c.Solved, 100*rate)
			for _, role := range []store.Role{store.RoleInjector, store.RoleSolver} {
				r := c.Roles[role]
				fmt.Fprintf(out, "%s: %d episodes, mean reward %+.3f over %d rewarded\n", role, r.Episodes, r.MeanReward, r.Rewarded)
			}
			fails, err := st.Failures(cmd.Context(), j.ID, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "failures outside the protocol: %d\n", len(fails))
			for _, f := range fails[max(0, len(fails)-5):] {
				fmt.Fprintf(out, "  %s  %s: %s\n", f.Created.Local().Format("15:04:05"), f.Unit, f.Error)
			}
			fmt.Fprintf(out, "config:\n%s", j.Config)
			return nil
		},
	})
	rootCmd.AddCommand(jobs)
}

// oneLine keeps a table row on one line whatever an error message holds.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// openDB opens an existing job database, the default one when path is empty. Commands that only read (or
// that work on a job already recorded) use it: a mistyped --db must not leave an empty database behind.
func openDB(ctx context.Context, path string) (*store.Store, error) {
	if path == "" {
		path = defaultDB()
	}
	return store.Open(ctx, path, store.MustExist())
}
