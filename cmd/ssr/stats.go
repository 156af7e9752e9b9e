package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena/store"
)

func init() {
	var dbPath string
	var asJSON bool
	var pngPath, svgPath string
	cmd := &cobra.Command{
		Use:   "stats JOB [--png FILE | --svg FILE]",
		Short: "Tables of a job: valid-artifact yield, rejection reasons, rewards and solve rates per role over time and per policy version, mixes, container time",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openDB(cmd.Context(), dbPath)
			if err != nil {
				return err
			}
			defer st.Close()
			if pngPath != "" || svgPath != "" {
				return plotStats(cmd.Context(), cmd.OutOrStdout(), st, args[0], pngPath, svgPath)
			}
			return printStats(cmd.Context(), cmd.OutOrStdout(), st, args[0], asJSON)
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the numbers as JSON")
	cmd.Flags().StringVar(&pngPath, "png", "", "draw the plots to this PNG file instead of printing tables")
	cmd.Flags().StringVar(&svgPath, "svg", "", "draw the plots to this SVG file instead of printing tables")
	cmd.MarkFlagsMutuallyExclusive("png", "svg", "json")
	rootCmd.AddCommand(cmd)
}

// plotStats draws the job's stats to a PNG or SVG file (one of the paths is set).
func plotStats(ctx context.Context, out io.Writer, st *store.Store, job, pngPath, svgPath string) error {
	if _, err := st.GetJob(ctx, job); err != nil {
		return err
	}
	s, err := st.Stats(ctx, job)
	if err != nil {
		return err
	}
	format, path := "png", pngPath
	if svgPath != "" {
		format, path = "svg", svgPath
	}
	if err := writeStatsPlot(s, job, format, path); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s\n", path)
	return nil
}

func printStats(ctx context.Context, out io.Writer, st *store.Store, job string, asJSON bool) error {
	if _, err := st.GetJob(ctx, job); err != nil {
		return err
	}
	s, err := st.Stats(ctx, job)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(out, s)
	}
	yield := 0.0
	if s.Validated > 0 {
		yield = float64(s.Valid) / float64(s.Validated)
	}
	fmt.Fprintf(out, "artifacts: %d proposed, %d validated, %d valid (yield %.1f%%)\n", s.Artifacts, s.Validated, s.Valid, 100*yield)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	section := func(title, header string) {
		fmt.Fprintf(w, "\n%s\n%s\n", title, header)
	}
	section("rejections by step", "STEP\tREJECTED")
	for _, c := range s.Rejections {
		fmt.Fprintf(w, "%s\t%d\n", c.Key, c.N)
	}
	section("strategy and order mix", "STRATEGY\tORDER\tARTIFACTS\tVALID")
	for _, m := range s.Mix {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\n", dash(m.Strategy), m.Order, m.N, m.Valid)
	}
	section("F2P size distribution", "F2P TESTS\tBUGS")
	for _, c := range s.F2PSizes {
		fmt.Fprintf(w, "%s\t%d\n", c.Key, c.N)
	}
	buckets := func(title, key string, bs []store.RoleBucket) {
		section(title, "ROLE\t"+key+"\tEPISODES\tMEAN REWARD\tSOLVED / VALID")
		for _, b := range bs {
			fmt.Fprintf(w, "%s\t%s\t%d\t%+.3f\t%.1f%%\n", b.Role, b.Key, b.Episodes, b.MeanReward, 100*b.SolveRate)
		}
	}
	buckets("per policy version", "POLICY", s.ByPolicy)
	buckets("over time (UTC hour)", "HOUR", s.ByHour)
	section("where container time went: test runs", "KIND\tRUNS\tTEST TIME")
	for _, d := range s.TestTime {
		fmt.Fprintf(w, "%s\t%d\t%s\n", d.Key, d.N, d.Total.Round(1e6))
	}
	section("episodes' wall time", "ROLE\tEPISODES\tWALL TIME")
	for _, d := range s.Wall {
		fmt.Fprintf(w, "%s\t%d\t%s\n", d.Key, d.N, d.Total.Round(1e9))
	}
	return w.Flush()
}
