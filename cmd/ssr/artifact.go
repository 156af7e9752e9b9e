package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena"
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
Prints "valid" (exit 0) or "rejected: <reason>" (exit 1). The builtin parser names and the test-file rule
(test files and test-runner configuration) come from the language plugin that recognises the repository,
exactly as in a job's validation.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if repo == "" {
				return usageError{fmt.Errorf("artifact check needs --repo DIR (the repository the artifact is for)")}
			}
			a, err := artifact.Load(args[0])
			if err != nil {
				return err
			}
			rej, err := checkArtifact(cmd.Context(), repo, a, minFiles)
			if err != nil {
				return err
			}
			if rej != nil {
				fmt.Fprintln(cmd.OutOrStdout(), "rejected:", rej.Error())
				return exitError{1}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "valid")
			return nil
		},
	}
	check.Flags().StringVar(&repo, "repo", "", "the repository checkout the artifact applies to")
	check.Flags().IntVar(&minFiles, "min-changed-files", arena.DefaultConfig().MinChangedFiles, "source files the bug diff must touch")
	artifactCmd.AddCommand(check)
	rootCmd.AddCommand(artifactCmd)
}

// checkArtifact is validation's step 1 on the repository checked out at dir, through the arena's own
// static check: the language plugin that recognises dir gives the parsers and the test-file rule.
func checkArtifact(ctx context.Context, dir string, a *artifact.Artifact, minFiles int) (*artifact.Rejection, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	files, err := listFiles(dir)
	if err != nil {
		return nil, err
	}
	host := plugin.NewHost()
	defer host.Close()
	det, err := host.Detect(ctx, &plugin.DetectRequest{Root: dir, Files: files}, plugin.DefaultMinConfidence)
	if err != nil {
		return nil, fmt.Errorf("artifact check: %w (the test-file rule comes from the repository's language plugin; 'ssr plugins ls' lists those found)", err)
	}
	repo, err := arena.RepoAt(ctx, det.Best.Client, filepath.Base(dir), dir, files)
	if err != nil {
		return nil, fmt.Errorf("artifact check: %w", err)
	}
	cfg := arena.DefaultConfig()
	cfg.MinChangedFiles = minFiles
	if err := cfg.Validate(); err != nil {
		return nil, usageError{errors.New("--" + strings.Replace(err.Error(), "min_changed_files", "min-changed-files", 1))}
	}
	_, rej, err := arena.New(nil, "", cfg, nil).StaticCheck(repo, a)
	return rej, err
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
