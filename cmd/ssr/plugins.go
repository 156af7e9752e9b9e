package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

// ssr plugins: list the language plugins ssr finds and run the conformance harness against one.

var pluginsCmd = &cobra.Command{
	Use:   "plugins",
	Short: "List language plugins and test them",
	Long: "Language plugins are executables named ssr-lang-NAME, found in $SSR_PLUGIN_DIR (colon-separated),\n" +
		"then beside the ssr executable, then on $PATH; the first found wins for each NAME.",
}

var pluginsTimeout time.Duration

var pluginsLsCmd = &cobra.Command{
	Use:   "ls",
	Short: "List the plugins found, with what each offers",
	Long: "Start every plugin found and print a table: name, version, languages, parsers, path.\n" +
		"A plugin that fails to start is listed with its error, and ssr exits 1.",
	Args: exactArgs(0),
	RunE: func(cmd *cobra.Command, args []string) error {
		h := plugin.NewHost(plugin.WithCallTimeout(pluginsTimeout), plugin.WithStartTimeout(pluginsTimeout))
		defer h.Close()
		progs := h.Programs()
		if len(progs) == 0 {
			fmt.Fprintln(cmd.OutOrStdout(), "no plugins found (install ssr-lang-NAME executables beside ssr, on $PATH or in $SSR_PLUGIN_DIR)")
			return nil
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tLANGUAGES\tPARSERS\tPATH")
		var failed []error
		for _, p := range progs {
			c, err := h.Open(cmd.Context(), p.Path)
			var d *plugin.DescribeResponse
			if err == nil {
				d, err = c.Describe(cmd.Context(), &plugin.DescribeRequest{})
			}
			if err != nil {
				failed = append(failed, err)
				fmt.Fprintf(tw, "%s\t-\t-\t-\t%s (error: see below)\n", p.Name, p.Path)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, d.Version, strings.Join(d.Languages, ","), strings.Join(d.Parsers, ","), p.Path)
		}
		tw.Flush()
		if len(failed) > 0 {
			return errors.Join(failed...)
		}
		return nil
	},
}

var pluginsTestFixture string

var pluginsTestCmd = &cobra.Command{
	Use:   "test [--fixture DIR] PATH-or-NAME",
	Short: "Run the plugin conformance checks against a plugin program",
	Long: "Start the plugin (a path such as ./ssr-lang-x, or a NAME found like 'ssr plugins ls' finds it)\n" +
		"and run the checks of package plugintest, printing PASS or FAIL for each. With --fixture DIR\n" +
		"(a directory holding fixture.json and repo/, as plugintest.LoadFixture reads it) the checks\n" +
		"use that sample repository and sample test outputs; without it, only the checks that need no\n" +
		"sample run. Exits 1 when a check fails.",
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		var fx plugintest.Fixture
		if pluginsTestFixture != "" {
			var err error
			if fx, err = plugintest.LoadFixture(pluginsTestFixture); err != nil {
				return usageError{err}
			}
		}
		h := plugin.NewHost(plugin.WithCallTimeout(pluginsTimeout), plugin.WithStartTimeout(pluginsTimeout))
		defer h.Close()
		results, err := plugintest.CheckBinary(cmd.Context(), h, args[0], fx)
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		failed := 0
		for _, r := range results {
			if r.Passed() {
				fmt.Fprintf(out, "PASS  %s\n", r.Name)
				continue
			}
			failed++
			fmt.Fprintf(out, "FAIL  %s\n", r.Name)
			for _, f := range r.Failures {
				fmt.Fprintf(out, "      %s\n", f)
			}
		}
		fmt.Fprintf(out, "%d checks, %d failed\n", len(results), failed)
		if failed > 0 {
			return exitError{1}
		}
		return nil
	},
}

func init() {
	pluginsCmd.PersistentFlags().DurationVar(&pluginsTimeout, "timeout", plugin.DefaultCallTimeout, "limit for starting a plugin and for each call to it")
	pluginsTestCmd.Flags().StringVar(&pluginsTestFixture, "fixture", "", "fixture directory (fixture.json and repo/)")
	pluginsCmd.AddCommand(pluginsLsCmd, pluginsTestCmd)
	rootCmd.AddCommand(pluginsCmd)
}
