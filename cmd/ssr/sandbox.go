package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/repos/docker"
)

// ssr sandbox: the containers ssr runs, and the reaper of those a dead process left.

var sandboxCmd = &cobra.Command{
	Use:   "sandbox",
	Short: "List ssr's sandbox containers and reap the orphans",
}

var sandboxReapCmd = &cobra.Command{
	Use:   "reap",
	Short: "Remove the containers whose owner process (on this host) is gone",
	Args:  exactArgs(0),
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		cli, err := docker.Connect(ctx)
		if err != nil {
			return err
		}
		defer cli.Close()
		n, err := docker.Reap(ctx, cli)
		fmt.Fprintf(cmd.OutOrStdout(), "removed %d orphaned container(s)\n", n)
		return err
	},
}

var sandboxLsJob string

var sandboxLsCmd = &cobra.Command{
	Use:   "ls [--job JOB]",
	Short: "List ssr's containers: id, job, role, state, owner, whether orphaned, age",
	Args:  exactArgs(0),
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		cli, err := docker.Connect(ctx)
		if err != nil {
			return err
		}
		defer cli.Close()
		infos, err := docker.List(ctx, cli, sandboxLsJob)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "CONTAINER\tJOB\tROLE\tSTATE\tOWNER\tORPHAN\tCREATED\tIMAGE")
		for _, c := range infos {
			fmt.Fprintf(w, "%.12s\t%s\t%s\t%s\t%s\t%v\t%s\t%s\n", c.ID, dash(c.Job), dash(c.Role), c.State, dash(c.Owner), c.Orphan, humanAge(time.Since(c.Created)), c.Image)
		}
		return w.Flush()
	},
}

func init() {
	sandboxLsCmd.Flags().StringVar(&sandboxLsJob, "job", "", "only the containers of this job")
	sandboxCmd.AddCommand(sandboxReapCmd, sandboxLsCmd)
	rootCmd.AddCommand(sandboxCmd)
}
