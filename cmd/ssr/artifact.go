package main

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

func init() {
	artifactCmd := &cobra.Command{
		Use:   "artifact",
		Short: "Inspect injector artifacts (the five parts of a bug's specification)",
	}
	var repo string
	var minFiles int
	check := &cobra.Command{
		Use:   "check --repo DIR ARTIFACT",
		Short: "Run the static check (validation step 1) of an artifact directory or JSON record against a repository",
		Long: `Run the static check (validation step 1) of an artifact against a repository checked out at DIR.
Prints "valid" (exit 0) or "rejected: <reason>" (exit 1). Builtin parser names and the test-file rule come
from the language plugins found on the plugin search path; without plugins, ssr's defaults apply.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if repo == "" {
				return usageError{fmt.Errorf("artifact check needs --repo DIR (the repository the artifact is for)")}
			}
			a, err := artifact.Load(args[0])
			if err != nil {
				return err
			}
			opts, err := checkOptionsFromPlugins(cmd.Context(), repo)
			if err != nil {
				return err
			}
			opts.MinChangedFiles = minFiles
			if _, err := artifact.Check(a, repo, opts); err != nil {
				if r, ok := artifact.IsRejection(err); ok {
					fmt.Fprintln(cmd.OutOrStdout(), "rejected:", r.Error())
					return exitError{1}
				}
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "valid")
			return nil
		},
	}
	check.Flags().StringVar(&repo, "repo", "", "the repository checkout the artifact applies to")
	check.Flags().IntVar(&minFiles, "min-changed-files", 1, "source files the bug diff must touch")
	artifactCmd.AddCommand(check)
	rootCmd.AddCommand(artifactCmd)
}

// checkOptionsFromPlugins asks the language plugins for their parser names and, from the plugin that
// recognises the repository, its test-file rule. With no plugin installed it returns the defaults.
func checkOptionsFromPlugins(ctx context.Context, repo string) (artifact.CheckOptions, error) {
	var opts artifact.CheckOptions
	if ctx == nil {
		ctx = context.Background()
	}
	host := plugin.NewHost()
	defer host.Close()
	clients, _ := host.All(ctx)
	for _, c := range clients {
		if d, err := c.Describe(ctx, &plugin.DescribeRequest{}); err == nil {
			opts.Parsers = append(opts.Parsers, d.Parsers...)
		}
	}
	if len(clients) == 0 {
		return opts, nil
	}
	files, err := listFiles(repo)
	if err != nil {
		return opts, err
	}
	det, err := host.Detect(ctx, &plugin.DetectRequest{Root: repo, Files: files}, plugin.DefaultMinConfidence)
	if err != nil {
		return opts, nil // no plugin claims the repository: the language-neutral rule applies
	}
	resp, err := det.Best.Client.TestFiles(ctx, &plugin.TestFilesRequest{Files: files})
	if err != nil {
		return opts, err
	}
	tests := make(map[string]bool, len(resp.TestFiles))
	for _, f := range resp.TestFiles {
		tests[f] = true
	}
	opts.IsTestFile = func(p string) bool { return tests[p] || artifact.LooksLikeTestFile(p) }
	return opts, nil
}

// listFiles lists a directory's regular files, repo-relative and slash-separated, skipping .git.
func listFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list files of %s: %w", root, err)
	}
	return files, nil
}
