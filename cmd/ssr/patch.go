package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/selfplay-swe/ssr/patches"
	"github.com/spf13/cobra"
)

// ssr patch: parse, apply, reverse and list git-style diffs with package patches.

var patchCmd = &cobra.Command{
	Use:   "patch",
	Short: "Apply, reverse and list git-style diffs",
	Long: "Work with git-style diffs (the output of git diff) without git: apply one to a directory\n" +
		"atomically, print its reverse, or list the files it touches. FILE may be - for standard input.",
}

var patchApplyFlags struct {
	dir   string
	check bool
	exact bool
}

var patchApplyCmd = &cobra.Command{
	Use:   "apply [--dir DIR] [--check] FILE.diff",
	Short: "Apply a diff to a directory: every file or none",
	Long: "Apply FILE.diff to the tree under --dir (default: the current directory). Nothing is written\n" +
		"unless every file applies; on a conflict ssr prints the file, hunk and line and exits 1.\n" +
		"Prints one line per file applied.",
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		p, err := readPatch(cmd, args[0])
		if err != nil {
			return err
		}
		var opts []patches.ApplyOption
		if patchApplyFlags.check {
			opts = append(opts, patches.WithDryRun())
		}
		if patchApplyFlags.exact {
			opts = append(opts, patches.WithExactPositions())
		}
		if err := patches.ApplyDir(cmd.Context(), patchApplyFlags.dir, p, opts...); err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		if len(p.Files) == 0 {
			fmt.Fprintln(out, "nothing to apply: the patch has no file diffs")
			return nil
		}
		verb := "applied"
		if patchApplyFlags.check {
			verb = "would apply"
		}
		for _, s := range patches.Files(p) {
			fmt.Fprintf(out, "%s %s %s (+%d -%d)\n", verb, s.Op, describePath(s), s.Added, s.Removed)
		}
		return nil
	},
}

var patchReverseCmd = &cobra.Command{
	Use:   "reverse FILE.diff",
	Short: "Print the diff that undoes FILE.diff",
	Args:  exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		p, err := readPatch(cmd, args[0])
		if err != nil {
			return err
		}
		return patches.Render(cmd.OutOrStdout(), patches.Reverse(p))
	},
}

var patchFilesCmd = &cobra.Command{
	Use:   "files FILE.diff",
	Short: "List the files a diff touches: operation, path, lines added and removed",
	Args:  exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		p, err := readPatch(cmd, args[0])
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OP\tPATH\tADDED\tREMOVED")
		for _, s := range patches.Files(p) {
			fmt.Fprintf(tw, "%s\t%s\t+%d\t-%d\n", s.Op, describePath(s), s.Added, s.Removed)
		}
		return tw.Flush()
	},
}

func describePath(s patches.FileStat) string {
	if s.OldPath != "" && s.OldPath != s.Path {
		return s.OldPath + " -> " + s.Path
	}
	return s.Path
}

// readPatch reads and parses the diff in name ("-" for standard input).
func readPatch(cmd *cobra.Command, name string) (*patches.Patch, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read patch: %s does not exist (give a diff file, or - for standard input)", name)
		}
		return nil, fmt.Errorf("read patch %s: %w", name, err)
	}
	p, err := patches.ParseBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

func init() {
	patchApplyCmd.Flags().StringVar(&patchApplyFlags.dir, "dir", ".", "directory the diff's paths are relative to")
	patchApplyCmd.Flags().BoolVar(&patchApplyFlags.check, "check", false, "only check that the diff applies; write nothing")
	patchApplyCmd.Flags().BoolVar(&patchApplyFlags.exact, "exact", false, "apply hunks only at the lines their headers name (no offset search)")
	patchCmd.AddCommand(patchApplyCmd, patchReverseCmd, patchFilesCmd)
	rootCmd.AddCommand(patchCmd)
}
