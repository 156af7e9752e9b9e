package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena/store"
)

// Export formats.
const formatTrajectories = "trajectories"

func init() {
	var dbPath, format, outPath string
	cmd := &cobra.Command{
		Use:   "export JOB",
		Short: "Export a job's episodes for outside trainers (--format trajectories: JSONL of chat messages)",
		Long: `Export a job's episodes. --format trajectories writes JSONL, one line per episode: its id, role, repo,
agent, policy version, reward, advantage, advantage group ("bug:ID" for solvers, "repo:NAME" for injectors)
and the chat messages (the LLM agent's full transcript; a structured agent's turns as tool calls, with its
decisions alongside).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatTrajectories {
				return usageError{fmt.Errorf("--format %q is not a format: use %s", format, formatTrajectories)}
			}
			if dbPath == "" {
				dbPath = defaultDB()
			}
			st, err := store.Open(cmd.Context(), dbPath, store.MustExist())
			if err != nil {
				return err
			}
			defer st.Close()
			var out io.Writer = cmd.OutOrStdout()
			var f *os.File
			if outPath != "" && outPath != "-" {
				if f, err = os.Create(outPath); err != nil {
					return err
				}
				out = f
			}
			n, err := writeTrajectories(cmd.Context(), st, args[0], out)
			if f != nil {
				err = errors.Join(err, f.Close())
				if err != nil {
					os.Remove(outPath) // no half-written export left behind
				}
			}
			if err != nil {
				return err
			}
			if f != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d episode(s) written to %s\n", n, outPath)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", formatTrajectories, "what to write: trajectories (JSONL of chat messages)")
	cmd.Flags().StringVar(&outPath, "out", "", "write to this file instead of standard output")
	cmd.Flags().StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	rootCmd.AddCommand(cmd)
}
