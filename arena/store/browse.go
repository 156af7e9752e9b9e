package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The queries in this file serve readers of a job (the replay viewer, stats): one page at a time, filtered
// and sorted in SQL, so that a job of any size opens at once.

// Row is one episode as a list shows it, with what its artifact, validation and bug say.
type Row struct {
	Episode       string    `json:"episode"`
	Role          Role      `json:"role"`
	Repo          string    `json:"repo"`
	Agent         string    `json:"agent"`
	PolicyVersion int64     `json:"policy_version"`
	Turns         int       `json:"turns"`
	Reward        *float64  `json:"reward,omitempty"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Artifact      string    `json:"artifact,omitempty"`
	Strategy      string    `json:"strategy,omitempty"`
	Order         int       `json:"order,omitempty"`
	Outcome       string    `json:"outcome"`          // injector: valid, rejected, pending; solver: solved, failed
	Step          string    `json:"step,omitempty"`   // the validation's last step
	Reason        string    `json:"reason,omitempty"` // why it was rejected
	Bug           string    `json:"bug,omitempty"`
	SolveRate     *float64  `json:"solve_rate,omitempty"`
}

// Outcomes a Query can ask for.
const (
	OutcomeValid    = "valid"
	OutcomeRejected = "rejected"
	OutcomePending  = "pending"
	OutcomeSolved   = "solved"
	OutcomeFailed   = "failed"
)

// Query selects and orders a page of a job's episodes; zero fields match everything.
type Query struct {
	Role          Role
	Repo          string
	Strategy      string
	Order         int
	PolicyVersion *int64
	Outcome       string   // valid, rejected, pending, solved, failed
	MinReward     *float64 // inclusive
	MaxReward     *float64
	MinSolveRate  *float64 // inclusive, of the episode's bug
	MaxSolveRate  *float64
	Text          string // a substring of the episode or artifact id, the rejection reason or the turns
	Sort          string // started (default), reward, solve_rate, turns, repo
	Desc          bool
	Limit         int // default 50
	Offset        int
}

var sortCols = map[string]string{
	"started": "e.started", "reward": "e.reward", "solve_rate": "b.solve_rate", "turns": "e.n_turns", "repo": "e.repo",
	"policy": "e.policy_version",
}

// SortKeys lists the keys Query.Sort accepts.
func SortKeys() []string {
	return []string{"started", "reward", "solve_rate", "turns", "repo", "policy"}
}

// The joins a row needs, in order; a query names only those its filters and sort use, so that counting
// and paging a large job touch the episodes table (and its index) alone.
var rowJoins = []struct{ name, sql string }{
	{"sb", ` LEFT JOIN bugs sb ON sb.id = e.bug_id`},
	{"a", ` LEFT JOIN artifacts a ON a.id = coalesce(e.artifact_id, sb.artifact_id)`},
	{"b", ` LEFT JOIN bugs b ON b.artifact_id = a.id`},
	{"v", ` LEFT JOIN validations v ON v.artifact_id = a.id`},
	{"t", ` LEFT JOIN attempts t ON t.id = e.attempt_id`},
}

// from is the FROM clause with the joins that need names (a join's prerequisites come with it).
func from(need map[string]bool) string {
	if need["b"] || need["v"] {
		need["a"] = true
	}
	if need["a"] {
		need["sb"] = true
	}
	f := ` FROM episodes e`
	for _, j := range rowJoins {
		if need[j.name] {
			f += j.sql
		}
	}
	return f
}

var allJoins = map[string]bool{"sb": true, "a": true, "b": true, "v": true, "t": true}

func (q Query) where(job string, need map[string]bool) (string, []any, error) {
	var w strings.Builder
	args := []any{job}
	w.WriteString(" WHERE e.job = ?")
	add := func(cond string, v ...any) {
		w.WriteString(" AND " + cond)
		args = append(args, v...)
	}
	if q.Role != "" {
		add("e.role = ?", string(q.Role))
	}
	if q.Repo != "" {
		add("e.repo = ?", q.Repo)
	}
	if q.Strategy != "" {
		need["a"] = true
		add("a.strategy = ?", q.Strategy)
	}
	if q.Order != 0 {
		need["a"] = true
		add("a.ord = ?", q.Order)
	}
	if q.PolicyVersion != nil {
		add("e.policy_version = ?", *q.PolicyVersion)
	}
	if q.MinReward != nil {
		add("e.reward >= ?", *q.MinReward)
	}
	if q.MaxReward != nil {
		add("e.reward <= ?", *q.MaxReward)
	}
	if q.MinSolveRate != nil {
		need["b"] = true
		add("b.solve_rate >= ?", *q.MinSolveRate)
	}
	if q.MaxSolveRate != nil {
		need["b"] = true
		add("b.solve_rate <= ?", *q.MaxSolveRate)
	}
	switch q.Outcome {
	case OutcomeValid, OutcomeRejected, OutcomePending:
		need["v"] = true
	case OutcomeSolved, OutcomeFailed:
		need["t"] = true
	}
	switch q.Outcome {
	case "":
	case OutcomeValid:
		add("e.role = 'injector' AND v.valid = 1")
	case OutcomeRejected:
		add("e.role = 'injector' AND v.valid = 0")
	case OutcomePending:
		add("e.role = 'injector' AND v.artifact_id IS NULL")
	case OutcomeSolved:
		add("e.role = 'solver' AND t.success = 1")
	case OutcomeFailed:
		add("e.role = 'solver' AND coalesce(t.success, 0) = 0")
	default:
		return "", nil, fmt.Errorf("store: query episodes: %w: outcome %q (want valid, rejected, pending, solved or failed)", ErrInvalid, q.Outcome)
	}
	if q.Text != "" {
		need["a"], need["v"] = true, true
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q.Text) + "%"
		add(`(e.id LIKE ? ESCAPE '\' OR coalesce(a.id, '') LIKE ? ESCAPE '\' OR coalesce(v.reason, '') LIKE ? ESCAPE '\'
			OR e.turns LIKE ? ESCAPE '\')`, like, like, like, like)
	}
	return w.String(), args, nil
}

// Rows returns one page of a job's episodes, filtered and sorted as q asks, and how many episodes match.
// The page's ids are found with only the joins its filters need, then its rows are read in full.
func (s *Store) Rows(ctx context.Context, job string, q Query) ([]Row, int, error) {
	need := map[string]bool{}
	where, args, err := q.where(job, need)
	if err != nil {
		return nil, 0, err
	}
	col, ok := sortCols[cmp.Or(q.Sort, "started")]
	if !ok {
		return nil, 0, fmt.Errorf("store: query episodes: %w: sort %q (want one of %s)", ErrInvalid, q.Sort, strings.Join(SortKeys(), ", "))
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*)`+from(need)+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count episodes of job %s: %w", job, err)
	}
	if strings.HasPrefix(col, "b.") {
		need["b"] = true
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	order := ` ORDER BY ` + col + ` ` + dir + `, e.started ` + dir + `, e.id ` + dir
	ids, err := queryAll(ctx, s, "episodes of job "+job, func(r rowScanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT e.id`+from(need)+where+order+` LIMIT ? OFFSET ?`, append(args, limit, q.Offset)...)
	if err != nil || len(ids) == 0 {
		return nil, total, err
	}
	inArgs := make([]any, len(ids))
	for i, id := range ids {
		inArgs[i] = id
	}
	rows, err := queryAll(ctx, s, "episodes of job "+job, scanRow,
		`SELECT e.id, e.role, e.repo, e.agent, e.policy_version, e.n_turns, e.reward, e.started, e.finished,
			coalesce(a.id, ''), coalesce(a.strategy, ''), coalesce(a.ord, 0), v.valid, coalesce(v.step, ''), coalesce(v.reason, ''),
			coalesce(b.id, ''), b.solve_rate, t.success`+from(allJoins)+` WHERE e.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, inArgs...)
	if err != nil {
		return nil, 0, err
	}
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(rows, func(x, y Row) int { return pos[x.Episode] - pos[y.Episode] })
	return rows, total, nil
}

func scanRow(r rowScanner) (Row, error) {
	var x Row
	var role, started, finished string
	var reward, rate sql.NullFloat64
	var valid, success sql.NullBool
	if err := r.Scan(&x.Episode, &role, &x.Repo, &x.Agent, &x.PolicyVersion, &x.Turns, &reward, &started, &finished,
		&x.Artifact, &x.Strategy, &x.Order, &valid, &x.Step, &x.Reason, &x.Bug, &rate, &success); err != nil {
		return x, err
	}
	x.Role, x.Reward, x.SolveRate = Role(role), floatPtr(reward), floatPtr(rate)
	switch {
	case x.Role == RoleSolver && success.Valid && success.Bool:
		x.Outcome = OutcomeSolved
	case x.Role == RoleSolver:
		x.Outcome = OutcomeFailed
	case !valid.Valid:
		x.Outcome = OutcomePending
	case valid.Bool:
		x.Outcome = OutcomeValid
	default:
		x.Outcome = OutcomeRejected
	}
	if x.Role == RoleSolver {
		x.Step, x.Reason = "", ""
	}
	var err error
	if x.Started, err = parseTime(started); err != nil {
		return x, err
	}
	x.Finished, err = parseTime(finished)
	return x, err
}

// ChildArtifacts returns the order-2 artifacts built from a bug's failed attempts.
func (s *Store) ChildArtifacts(ctx context.Context, bugID string) ([]Artifact, error) {
	return queryAll(ctx, s, "order-2 artifacts of bug "+bugID, scanArtifact,
		`SELECT `+artifactCols+` FROM artifacts a WHERE parent_bug = ? ORDER BY created, id`, bugID)
}

// LogInfo is a raw log without its output.
type LogInfo struct {
	ID       string        `json:"id"`
	Kind     LogKind       `json:"kind"`
	Ref      string        `json:"ref"`
	Size     int64         `json:"size"`
	ExitCode int           `json:"exit_code"`
	Duration time.Duration `json:"duration"`
	End      string        `json:"end,omitempty"`
	TimedOut bool          `json:"timed_out,omitempty"`
	Timeout  time.Duration `json:"timeout,omitempty"`
}

// LogInfos describes the raw logs with the given ids, in that order, without reading their output.
func (s *Store) LogInfos(ctx context.Context, ids []string) ([]LogInfo, error) {
	out := make([]LogInfo, 0, len(ids))
	for _, id := range ids {
		var l LogInfo
		var kind string
		var dur, timeout int64
		err := s.r.QueryRowContext(ctx, `SELECT id, kind, ref, size, exit_code, duration_ns, run_end, timed_out, timeout_ns FROM raw_logs WHERE id = ?`, id).
			Scan(&l.ID, &kind, &l.Ref, &l.Size, &l.ExitCode, &dur, &l.End, &l.TimedOut, &timeout)
		if err == sql.ErrNoRows {
			return nil, fmt.Errorf("store: log %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("store: log %s: %w", id, err)
		}
		l.Kind, l.Duration, l.Timeout = LogKind(kind), time.Duration(dur), time.Duration(timeout)
		out = append(out, l)
	}
	return out, nil
}
