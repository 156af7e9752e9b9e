package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena/store"
)

// replayFlags are the list's filters and the output mode.
type replayFlags struct {
	dbPath               string
	plain, asJSON        bool
	follow               bool
	role, repo, strategy string
	order                int
	policy               string
	outcome              string
	reward, solve        string // ranges "MIN:MAX", either side optional
	search               string
	sort                 string
	desc                 bool
	limit, offset        int
	log                  string
}

func init() {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay JOB [ID]",
		Short: "Browse a job's episodes and bugs: a terminal UI, or --plain / --json for pipes",
		Long: `Browse what a job did. With no ID: one page of its episodes, filtered and sorted (--role, --repo, --strategy,
--order, --policy, --outcome, --reward, --solve-rate, --search, --sort). With an ID: an artifact or bug (its parts,
the validation report step by step, F2P and P2P, every attempt with its reward and prediction, the order-2 bugs
made from it), or an episode turn by turn. --log ID prints one raw test log. On a terminal it opens the
interactive viewer unless --plain or --json is given; --plain and --json print the same content.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{fmt.Errorf("want JOB and an optional ID (usage: %s)", cmd.UseLine())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := f.query()
			if err != nil {
				return usageError{err}
			}
			st, err := openDB(cmd.Context(), f.dbPath)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			if _, err := st.GetJob(ctx, args[0]); err != nil {
				return err
			}
			id := ""
			if len(args) == 2 {
				id = args[1]
			}
			if !f.plain && !f.asJSON && f.log == "" && isTerminal(out) {
				return runTUI(ctx, st, args[0], id, q, f.follow)
			}
			if f.log != "" {
				return printLog(ctx, out, st, f.log, f.asJSON)
			}
			if id != "" {
				return printItem(ctx, out, st, id, f.asJSON)
			}
			return printPage(ctx, out, st, args[0], q, f.asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	fl.BoolVar(&f.plain, "plain", false, "print text instead of opening the viewer")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON instead of opening the viewer")
	fl.BoolVar(&f.follow, "follow", false, "viewer: follow a running job, refreshing the list as episodes arrive")
	fl.StringVar(&f.role, "role", "", "only episodes in this role: injector or solver")
	fl.StringVar(&f.repo, "repo", "", "only episodes on this repository")
	fl.StringVar(&f.strategy, "strategy", "", "only episodes whose artifact used this strategy")
	fl.IntVar(&f.order, "order", 0, "only episodes on bugs of this order (1 or 2)")
	fl.StringVar(&f.policy, "policy", "", "only episodes of this policy version")
	fl.StringVar(&f.outcome, "outcome", "", "only episodes with this outcome: valid, rejected, pending (injector), solved, failed (solver)")
	fl.StringVar(&f.reward, "reward", "", "reward range MIN:MAX (either side may be empty), e.g. 0: or :-1")
	fl.StringVar(&f.solve, "solve-rate", "", "solve-rate band MIN:MAX of the episode's bug, e.g. 0.1:0.9")
	fl.StringVar(&f.search, "search", "", "text in an id, a rejection reason or the turns")
	fl.StringVar(&f.sort, "sort", "started", "order by: "+strings.Join(store.SortKeys(), ", "))
	fl.BoolVar(&f.desc, "desc", false, "sort descending")
	fl.IntVar(&f.limit, "limit", 50, "episodes per page")
	fl.IntVar(&f.offset, "offset", 0, "skip this many episodes (the page's start)")
	fl.StringVar(&f.log, "log", "", "print the raw test log with this id")
	rootCmd.AddCommand(cmd)
}

// query turns the flags into a store query.
func (f *replayFlags) query() (store.Query, error) {
	q := store.Query{Role: store.Role(f.role), Repo: f.repo, Strategy: f.strategy, Order: f.order, Outcome: f.outcome,
		Text: f.search, Sort: f.sort, Desc: f.desc, Limit: f.limit, Offset: f.offset}
	if q.Role != "" && q.Role != store.RoleInjector && q.Role != store.RoleSolver {
		return q, fmt.Errorf("--role %q: want injector or solver", f.role)
	}
	if f.order != 0 && f.order != 1 && f.order != 2 {
		return q, fmt.Errorf("--order %d: want 1 or 2", f.order)
	}
	if f.policy != "" {
		v, err := strconv.ParseInt(f.policy, 10, 64)
		if err != nil {
			return q, fmt.Errorf("--policy %q: want a version number", f.policy)
		}
		q.PolicyVersion = &v
	}
	var err error
	if q.MinReward, q.MaxReward, err = parseRange("--reward", f.reward); err != nil {
		return q, err
	}
	if q.MinSolveRate, q.MaxSolveRate, err = parseRange("--solve-rate", f.solve); err != nil {
		return q, err
	}
	if !slices.Contains(store.SortKeys(), q.Sort) {
		return q, fmt.Errorf("--sort %q: want one of %s", f.sort, strings.Join(store.SortKeys(), ", "))
	}
	return q, nil
}

// parseRange reads "MIN:MAX" where either side may be empty; a single number means exactly it.
func parseRange(flag, s string) (lo, hi *float64, err error) {
	if s == "" {
		return nil, nil, nil
	}
	a, b, found := strings.Cut(s, ":")
	if !found {
		b = a
	}
	num := func(t string) (*float64, error) {
		if t == "" {
			return nil, nil
		}
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return nil, fmt.Errorf("%s %q: want MIN:MAX, numbers, either side may be empty", flag, s)
		}
		return &v, nil
	}
	if lo, err = num(a); err != nil {
		return nil, nil, err
	}
	hi, err = num(b)
	return lo, hi, err
}

// page is one page of the list, as --json prints it.
type page struct {
	Job    string      `json:"job"`
	Total  int         `json:"total"`
	Offset int         `json:"offset"`
	Rows   []store.Row `json:"rows"`
}

func printPage(ctx context.Context, out io.Writer, st *store.Store, job string, q store.Query, asJSON bool) error {
	rows, total, err := st.Rows(ctx, job, q)
	if err != nil {
		return err
	}
	p := page{Job: job, Total: total, Offset: q.Offset, Rows: rows}
	if asJSON {
		return writeJSON(out, p)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "EPISODE\tROLE\tREPO\tSTRATEGY\tORDER\tOUTCOME\tREWARD\tSOLVE\tPOLICY\tTURNS\tARTIFACT\tBUG")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Episode, r.Role, r.Repo, dash(r.Strategy), orderText(r.Order),
			r.Outcome, rewardText(r.Reward), rateText(r.SolveRate), r.PolicyVersion, r.Turns, dash(r.Artifact), dash(r.Bug))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, pageFooter(q, len(rows), total))
	return nil
}

func pageFooter(q store.Query, n, total int) string {
	if n == 0 {
		return fmt.Sprintf("no episodes match (of %d)", total)
	}
	s := fmt.Sprintf("episodes %d–%d of %d", q.Offset+1, q.Offset+n, total)
	if q.Offset+n < total {
		s += fmt.Sprintf(" (next page: --offset %d)", q.Offset+n)
	}
	return s
}

// printItem prints one artifact, bug or episode.
func printItem(ctx context.Context, out io.Writer, st *store.Store, id string, asJSON bool) error {
	if bv, err := loadBug(ctx, st, id); err == nil {
		if asJSON {
			return writeJSON(out, bv)
		}
		_, err := io.WriteString(out, renderBug(bv, false))
		return err
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	ev, err := loadEpisode(ctx, st, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("replay: %s is no artifact, bug or episode of this database (list them with 'ssr replay JOB --plain')", id)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(out, ev)
	}
	_, err = io.WriteString(out, renderEpisode(ev, -1, false))
	return err
}

func printLog(ctx context.Context, out io.Writer, st *store.Store, id string, asJSON bool) error {
	l, err := st.Log(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(out, struct {
			store.RawLog
			Output string `json:"output"`
		}{l, string(l.Output)})
	}
	fmt.Fprintf(out, "log %s: %s run of %s, exit %d, %s, %s\n", l.ID, l.Kind, l.Ref, l.ExitCode, dash(l.End), l.Duration)
	_, err = out.Write(l.Output)
	return err
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orderText(o int) string {
	if o == 0 {
		return "-"
	}
	return strconv.Itoa(o)
}

func rewardText(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%+.2f", *r)
}

func rateText(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *r)
}
