package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/repos/docker"
)

// ssr image: base images made without a registry (debootstrap + the engine's image import), list, remove.

var imageCmd = &cobra.Command{
	Use:   "image",
	Short: "Build, list and remove ssr's container images",
}

var imageBootstrapFlags struct {
	suite    string
	packages string
	mirror   string
}

var imageBootstrapCmd = &cobra.Command{
	Use:   "bootstrap [--suite trixie] [--packages a,b,c] [--mirror URL]",
	Short: "Build a Debian base image with debootstrap (reused when it exists)",
	Long: "Build a Debian root filesystem with debootstrap (variant minbase, the packages given; default: the\n" +
		"shared base of the examples and tests) and import it through the Docker Engine as\n" +
		"ssr-base:<hash of the recipe>. An image with that tag is reused in seconds. Needs root and debootstrap.\n" +
		"Prints the image reference.",
	Args: exactArgs(0),
	RunE: func(cmd *cobra.Command, args []string) error {
		recipe := docker.DefaultRecipe()
		recipe.Suite = imageBootstrapFlags.suite
		recipe.Mirror = imageBootstrapFlags.mirror
		if cmd.Flags().Changed("packages") {
			recipe.Packages = strings.Split(imageBootstrapFlags.packages, ",")
		}
		if err := recipe.Validate(); err != nil {
			return usageError{err}
		}
		ctx := cmd.Context()
		cli, err := docker.Connect(ctx)
		if err != nil {
			return err
		}
		defer cli.Close()
		start := time.Now()
		ref, err := docker.EnsureBase(ctx, cli, recipe, docker.WithProgress(cmd.ErrOrStderr()))
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "ssr: %s ready in %s (%s)\n", ref, time.Since(start).Round(10*time.Millisecond), recipe.Summary())
		fmt.Fprintln(cmd.OutOrStdout(), ref)
		return nil
	},
}

var imageLsCmd = &cobra.Command{
	Use:   "ls",
	Short: "List ssr's images: reference, kind, size, age, recipe",
	Args:  exactArgs(0),
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		cli, err := docker.Connect(ctx)
		if err != nil {
			return err
		}
		defer cli.Close()
		imgs, err := docker.ListImages(ctx, cli)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "IMAGE\tKIND\tSIZE\tCREATED\tRECIPE")
		for _, im := range imgs {
			ref := strings.TrimPrefix(im.ID, "sha256:")[:12]
			if len(im.Tags) > 0 {
				ref = strings.Join(im.Tags, ",")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", ref, im.Kind, humanBytes(im.Size), humanAge(time.Since(im.Created)), dash(im.Recipe))
		}
		return w.Flush()
	},
}

var imageRmCmd = &cobra.Command{
	Use:   "rm REF...",
	Short: "Remove images",
	Args: func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageError{fmt.Errorf("name at least one image (usage: %s)", cmd.UseLine())}
		}
		return nil
	},
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		cli, err := docker.Connect(ctx)
		if err != nil {
			return err
		}
		defer cli.Close()
		failed := 0
		for _, ref := range args {
			if err := docker.RemoveImage(ctx, cli, ref); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "ssr:", err)
				failed++
				continue
			}
			fmt.Fprintln(cmd.OutOrStdout(), "removed", ref)
		}
		if failed > 0 {
			return exitError{1}
		}
		return nil
	},
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0fMB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%dkB", n>>10)
	}
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func init() {
	f := imageBootstrapCmd.Flags()
	f.StringVar(&imageBootstrapFlags.suite, "suite", docker.DefaultSuite, "Debian suite")
	f.StringVar(&imageBootstrapFlags.packages, "packages", strings.Join(docker.DefaultRecipe().Packages, ","), "comma-separated packages to include")
	f.StringVar(&imageBootstrapFlags.mirror, "mirror", envOr("SSR_DEBIAN_MIRROR", docker.DefaultMirror), "Debian mirror (env SSR_DEBIAN_MIRROR)")
	imageCmd.AddCommand(imageBootstrapCmd, imageLsCmd, imageRmCmd)
	rootCmd.AddCommand(imageCmd)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
