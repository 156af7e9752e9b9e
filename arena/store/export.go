package store

import (
	"context"
	"strings"
)

// BugFilter selects a job's bugs for export; zero fields match everything.
type BugFilter struct {
	Repo         string
	Strategy     string // the artifact's strategy
	Order        int
	MinSolveRate *float64 // inclusive; a bug not yet finished has no solve rate and is left out by either bound
	MaxSolveRate *float64
}

// ExportBug is a valid bug with the artifact it was made from.
type ExportBug struct {
	Bug      Bug      `json:"bug"`
	Artifact Artifact `json:"artifact"`
}

// ListBugs returns a job's bugs (every bug is a valid artifact) that f selects, with their artifacts, oldest
// first.
func (s *Store) ListBugs(ctx context.Context, job string, f BugFilter) ([]ExportBug, error) {
	var w strings.Builder
	args := []any{job}
	add := func(cond string, v any) {
		w.WriteString(" AND " + cond)
		args = append(args, v)
	}
	if f.Repo != "" {
		add("b.repo = ?", f.Repo)
	}
	if f.Strategy != "" {
		add("a.strategy = ?", f.Strategy)
	}
	if f.Order != 0 {
		add("b.ord = ?", f.Order)
	}
	if f.MinSolveRate != nil {
		add("b.solve_rate >= ?", *f.MinSolveRate)
	}
	if f.MaxSolveRate != nil {
		add("b.solve_rate <= ?", *f.MaxSolveRate)
	}
	return queryAll(ctx, s, "bugs of job "+job, func(r rowScanner) (ExportBug, error) {
		var x bugRow
		var a artifactRow
		if err := r.Scan(append(x.dest(), a.dest()...)...); err != nil {
			return ExportBug{}, err
		}
		b, err := x.bug()
		if err != nil {
			return ExportBug{}, err
		}
		art, err := a.artifact()
		return ExportBug{Bug: b, Artifact: art}, err
	}, `SELECT `+bugCols+`, `+artifactCols+` FROM bugs b JOIN artifacts a ON a.id = b.artifact_id WHERE b.job = ?`+w.String()+` ORDER BY b.created, b.id`, args...)
}
