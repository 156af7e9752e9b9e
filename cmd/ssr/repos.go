package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/examples"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// reposFlags are the flags every `ssr repos` subcommand shares.
var reposFlags struct {
	manifest string
	cacheDir string
}

var reposCmd = &cobra.Command{
	Use:   "repos",
	Short: "Manage the repositories ssr works on: the manifest, their images and baselines",
	Long: `Manage the repositories ssr works on.

A manifest (./ssr.yaml unless --manifest says otherwise) lists repositories: a git URL or local repository
at a commit or branch, a local directory, an existing image, or one of the built-in examples (` +
		strings.Join(examples.Names(), ", ") + `).
'ssr repos build' makes one image per repository with its dependencies and the code at /repo;
'ssr repos test' records which tests pass on it (the baseline).`,
}

func init() {
	reposCmd.PersistentFlags().StringVar(&reposFlags.manifest, "manifest", "ssr.yaml", "the manifest file")
	reposCmd.PersistentFlags().StringVar(&reposFlags.cacheDir, "cache-dir", "", "clones, build logs and baselines (default $SSR_CACHE_DIR, $XDG_CACHE_HOME/ssr or ~/.cache/ssr)")
	reposCmd.AddCommand(reposAddCmd(), reposLsCmd(), reposBuildCmd(), reposTestCmd())
	rootCmd.AddCommand(reposCmd)
}

func cacheDir() string {
	if reposFlags.cacheDir != "" {
		return reposFlags.cacheDir
	}
	return repos.DefaultCacheDir()
}

func reposAddCmd() *cobra.Command {
	var f struct {
		example, git, commit, branch, path, image, workdir, language string
	}
	cmd := &cobra.Command{
		Use:   "add [NAME] (--example E | --git URL [--commit C | --branch B] | --path DIR | --image REF [--workdir W])",
		Short: "Add a repository to the manifest (created if missing)",
		Example: `  ssr repos add --example pyledger
  ssr repos add requests --git https://github.com/psf/requests.git --commit 0e322af8
  ssr repos add mytool --path ../mytool --language python
  ssr repos add app --image registry.example/app:1.2 --workdir /src --language go`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r repos.Repo
			set := 0
			for _, s := range []string{f.example, f.git, f.path, f.image} {
				if s != "" {
					set++
				}
			}
			if set != 1 {
				return usageError{errors.New("give exactly one source: --example, --git, --path or --image")}
			}
			switch {
			case f.example != "":
				if _, err := examples.Digest(f.example); err != nil {
					return usageError{err}
				}
				r.Source.Example = f.example
			case f.git != "":
				r.Source.Git, r.Source.Commit, r.Source.Branch = f.git, f.commit, f.branch
				if abs, ok := localPath(f.git); ok {
					r.Source.Git = relativeToManifest(abs)
				}
			case f.path != "":
				abs, err := filepath.Abs(f.path)
				if err != nil {
					return err
				}
				if st, err := os.Stat(abs); err != nil || !st.IsDir() {
					return usageError{fmt.Errorf("--path %s: not a directory", f.path)}
				}
				r.Source.Path = relativeToManifest(abs)
			case f.image != "":
				r.Source.Image, r.Source.Workdir = f.image, f.workdir
			}
			if (f.commit != "" || f.branch != "") && f.git == "" {
				return usageError{errors.New("--commit and --branch go with --git")}
			}
			if f.workdir != "" && f.image == "" {
				return usageError{errors.New("--workdir goes with --image")}
			}
			r.Language = f.language
			switch {
			case len(args) == 1:
				r.Name = args[0]
			case f.example != "":
				r.Name = f.example
			default:
				return usageError{fmt.Errorf("name the repository (usage: %s)", cmd.UseLine())}
			}
			if err := repos.AddRepo(reposFlags.manifest, r); err != nil {
				if errors.Is(err, repos.ErrDuplicateRepo) {
					return usageError{err}
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %s (%s) to %s\n", r.Name, r.Source, reposFlags.manifest)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.example, "example", "", "a built-in example: "+strings.Join(examples.Names(), ", "))
	fl.StringVar(&f.git, "git", "", "a git URL or local repository")
	fl.StringVar(&f.commit, "commit", "", "with --git: the commit to check out")
	fl.StringVar(&f.branch, "branch", "", "with --git: the branch whose tip to check out")
	fl.StringVar(&f.path, "path", "", "a local directory (git or not)")
	fl.StringVar(&f.image, "image", "", "an existing image with the code in it")
	fl.StringVar(&f.workdir, "workdir", "", "with --image: where the code is (default /repo)")
	fl.StringVar(&f.language, "language", "", "the language plugin (default: detected)")
	return cmd
}

// localPath reports whether a --git value is a local path, and its absolute form.
func localPath(src string) (string, bool) {
	if strings.Contains(src, "://") || (strings.Contains(src, ":") && !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, ".")) {
		return "", false
	}
	abs, err := filepath.Abs(src)
	return abs, err == nil
}

// relativeToManifest writes a local path relative to the manifest's directory when it lies below it, so that
// the manifest can move with the code.
func relativeToManifest(abs string) string {
	dir, err := filepath.Abs(filepath.Dir(reposFlags.manifest))
	if err != nil {
		return abs
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return abs
	}
	if rel == "." {
		return "."
	}
	return "./" + rel
}

func loadManifest() (*repos.Manifest, error) {
	m, err := repos.LoadManifest(reposFlags.manifest)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no manifest at %s: create one with 'ssr repos add' or name it with --manifest", reposFlags.manifest)
	}
	return m, err
}

func reposLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the manifest's repositories and their images",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := loadManifest()
			if err != nil {
				return err
			}
			// Image status is best effort: a listing must work without an engine.
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			cli, engineErr := docker.Connect(ctx)
			if engineErr == nil {
				defer cli.Close()
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSOURCE\tLANGUAGE\tIMAGE")
			for _, r := range m.Repos {
				lang := r.Language
				if lang == "" {
					lang = "(detect)"
				}
				status := "unknown (no Docker Engine)"
				if engineErr == nil {
					status = imageStatus(ctx, cli, r)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Source, lang, status)
			}
			if len(m.Repos) == 0 {
				fmt.Fprintf(tw, "(none: add one with 'ssr repos add')\t\t\t\n")
			}
			return tw.Flush()
		},
	}
}

func imageStatus(ctx context.Context, cli repos.Engine, r repos.Repo) string {
	if r.Source.Kind() == repos.SourceImage {
		if _, err := cli.ImageInspect(ctx, r.Source.Image); err != nil {
			return "missing"
		}
		return "present"
	}
	imgs, err := repos.FindImages(ctx, cli, r.Name)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	if len(imgs) == 0 {
		return "not built"
	}
	return fmt.Sprintf("%s (built %s)", imgs[0].Ref, imgs[0].Created.Local().Format("2006-01-02 15:04"))
}

// builderEnv is what build and test need: an engine, a sandbox provider and the plugin host.
type builderEnv struct {
	builder *repos.Builder
	close   func()
}

func newBuilder(ctx context.Context, progress io.Writer, opts ...repos.Option) (*builderEnv, error) {
	cli, err := docker.Connect(ctx)
	if err != nil {
		return nil, err
	}
	prov, err := docker.New(cli)
	if err != nil {
		cli.Close()
		return nil, err
	}
	host := plugin.NewHost()
	b := repos.NewBuilder(cli, prov, repos.HostLanguages{Host: host}, append([]repos.Option{repos.WithCacheDir(cacheDir()), repos.WithProgress(progress)}, opts...)...)
	return &builderEnv{builder: b, close: func() { host.Close(); cli.Close() }}, nil
}

// selectRepos returns the named repos, or all of them when names is empty.
func selectRepos(m *repos.Manifest, names []string) ([]repos.Repo, error) {
	if len(names) == 0 {
		if len(m.Repos) == 0 {
			return nil, fmt.Errorf("%s lists no repositories: add one with 'ssr repos add'", m.File)
		}
		return m.Repos, nil
	}
	var out []repos.Repo
	for _, n := range names {
		r, err := m.Repo(n)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, r)
	}
	return out, nil
}

func reposBuildCmd() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "build [NAME...]",
		Short: "Build the image of each named repository (all by default); unchanged inputs reuse the image",
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := loadManifest()
			if err != nil {
				return err
			}
			list, err := selectRepos(m, args)
			if err != nil {
				return err
			}
			progress := cmd.ErrOrStderr()
			if quiet {
				progress = io.Discard
			}
			env, err := newBuilder(cmd.Context(), progress)
			if err != nil {
				return err
			}
			defer env.close()
			failed := 0
			for _, r := range list {
				img, err := env.builder.Build(cmd.Context(), r)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "ssr: %v\n", err)
					failed++
					continue
				}
				how := fmt.Sprintf("built in %s", img.Duration.Round(100*time.Millisecond))
				if img.Cached {
					how = "up to date"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\n", r.Name, img.Ref, how)
				if img.Cached { // a fresh build printed them as they came
					for _, w := range img.Warnings {
						fmt.Fprintf(cmd.ErrOrStderr(), "ssr: %s: %s\n", r.Name, w)
					}
				}
			}
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the result line per repository")
	return cmd
}

func reposTestCmd() *cobra.Command {
	var runs int
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Build the repository's image if needed and record its baseline: which tests pass, fail or flake",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := loadManifest()
			if err != nil {
				return err
			}
			r, err := m.Repo(args[0])
			if err != nil {
				return usageError{err}
			}
			if runs < 1 {
				return usageError{fmt.Errorf("--runs %d: give at least 1 (the default is %d)", runs, repos.DefaultFlakeRuns)}
			}
			env, err := newBuilder(cmd.Context(), cmd.ErrOrStderr(), repos.WithFlakeRuns(runs))
			if err != nil {
				return err
			}
			defer env.close()
			img, err := env.builder.Build(cmd.Context(), r)
			if err != nil {
				return err
			}
			bl, err := env.builder.Baseline(cmd.Context(), r, img)
			if err != nil {
				return err
			}
			printBaseline(cmd.OutOrStdout(), bl)
			return nil
		},
	}
	cmd.Flags().IntVar(&runs, "runs", repos.DefaultFlakeRuns, "how many times to run the tests (flaky = differs between runs)")
	return cmd
}

func printBaseline(w io.Writer, bl *repos.Baseline) {
	c := bl.Counts()
	excluded := 0
	for _, t := range bl.Tests {
		if t.Excluded {
			excluded++
		}
	}
	src := "ran now"
	if bl.Cached {
		src = "cached"
	}
	fmt.Fprintf(w, "%s on %s (%d runs, %s; %s)\n", bl.Repo, bl.Image, len(bl.Runs), src, bl.Path)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "passed\tfailed\terror\tskipped\tflaky\texcluded")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\n", c[plugin.StatusPassed], c[plugin.StatusFailed], c[plugin.StatusError], c[plugin.StatusSkipped], c[repos.StatusFlaky], excluded)
	tw.Flush()
	fmt.Fprintln(w, "\nslowest tests:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, t := range bl.Slowest(10) {
		fmt.Fprintf(tw, "  %.3fs\t%s\t%s\n", t.Duration, t.Status, t.ID)
	}
	tw.Flush()
}
