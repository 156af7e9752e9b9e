package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Export formats.
const (
	formatTrajectories = "trajectories"
	formatSWEBench     = "swebench"
	formatArtifacts    = "artifacts"
)

func init() {
	var dbPath, format, outPath, solveRate, repo, strategy string
	var order int
	cmd := &cobra.Command{
		Use:   "export JOB",
		Short: "Export a job's episodes (trajectories) or its valid bugs (swebench, artifacts)",
		Long: `Export a job's episodes or bugs.

--format trajectories writes JSONL, one line per episode: its id, role, repo, agent, policy version, reward,
advantage, advantage group ("bug:ID" for solvers, "repo:NAME" for injectors) and the chat messages (the LLM
agent's full transcript; a structured agent's turns as tool calls, with its decisions alongside).

--format swebench writes JSONL of SWE-bench-style instances, one per valid bug (patch, test_patch, FAIL_TO_PASS,
PASS_TO_PASS, image, and ssr's own fields); --format artifacts writes one artifact directory per valid bug under
--out, ready to re-validate. Both take --solve-rate MIN:MAX, --order, --repo and --strategy.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case formatTrajectories, formatSWEBench, formatArtifacts:
			default:
				return usageError{fmt.Errorf("--format %q is not a format: use %s, %s or %s", format, formatTrajectories, formatSWEBench, formatArtifacts)}
			}
			filter, err := newExportFilter(solveRate, order, repo, strategy)
			if err != nil {
				return usageError{err}
			}
			if format == formatArtifacts && (outPath == "" || outPath == "-") {
				return usageError{errors.New("--format artifacts needs --out DIR, the directory to write one artifact directory per bug into")}
			}
			st, err := openDB(cmd.Context(), dbPath)
			if err != nil {
				return err
			}
			defer st.Close()
			if format == formatArtifacts {
				return exportArtifacts(cmd.Context(), st, args[0], filter, outPath)
			}
			var out io.Writer = cmd.OutOrStdout()
			var f *os.File
			if outPath != "" && outPath != "-" {
				if f, err = os.Create(outPath); err != nil {
					return err
				}
				out = f
			}
			n := -1 // episodes written, when counted
			if format == formatSWEBench {
				err = exportSWEBench(cmd.Context(), st, args[0], filter, out)
			} else {
				n, err = writeTrajectories(cmd.Context(), st, args[0], out)
			}
			if f != nil {
				err = errors.Join(err, f.Close())
				if err != nil {
					os.Remove(outPath) // no half-written export left behind
				}
			}
			if err != nil {
				return err
			}
			if f != nil && n >= 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d episode(s) written to %s\n", n, outPath)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", formatTrajectories, "what to write: trajectories (JSONL of chat messages), swebench (JSONL instances) or artifacts (directories)")
	cmd.Flags().StringVar(&outPath, "out", "", "write to this file instead of standard output (artifacts: the directory to write into)")
	cmd.Flags().StringVar(&solveRate, "solve-rate", "", "swebench, artifacts: only bugs whose solve rate is in MIN:MAX (inclusive; either side may be empty)")
	cmd.Flags().IntVar(&order, "order", 0, "swebench, artifacts: only order-1 or order-2 bugs")
	cmd.Flags().StringVar(&repo, "repo", "", "swebench, artifacts: only this repository's bugs")
	cmd.Flags().StringVar(&strategy, "strategy", "", "swebench, artifacts: only bugs of this injector strategy")
	cmd.Flags().StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	rootCmd.AddCommand(cmd)
}
