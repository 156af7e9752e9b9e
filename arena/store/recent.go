package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/selfplay-swe/ssr/agent"
)

// Solves is how many of a set of solver attempts there were and how many of them succeeded.
type Solves struct{ Attempts, Solved int }

// Rate is the share of the attempts that succeeded, 0 without any.
func (s Solves) Rate() float64 {
	if s.Attempts == 0 {
		return 0
	}
	return float64(s.Solved) / float64(s.Attempts)
}

// StageSolves counts, among the job's last n solver attempts (by the time they finished), those on the bugs
// of each curriculum stage (the stage that planned the bug's artifact, an order-2 bug's being its parent's,
// whose parts it copies; "" for artifacts no stage planned) and how many of them succeeded: the recent solve
// rates the native injector's curriculum follows.
func (s *Store) StageSolves(ctx context.Context, job string, n int) (map[string]Solves, error) {
	out := map[string]Solves{}
	err := s.read(ctx, "recent solves of job "+job, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT stage, count(*), coalesce(sum(success), 0) FROM (
			SELECT a.stage AS stage, t.success AS success FROM attempts t
			JOIN bugs b ON b.id = t.bug_id JOIN artifacts a ON a.id = b.artifact_id
			WHERE b.job = ? ORDER BY t.finished DESC, t.id DESC LIMIT ?)
			GROUP BY stage`, job, n)
		if err != nil {
			return fmt.Errorf("store: recent solves of job %s: %w", job, err)
		}
		defer rows.Close()
		for rows.Next() {
			var stage string
			var c Solves
			if err := rows.Scan(&stage, &c.Attempts, &c.Solved); err != nil {
				return fmt.Errorf("store: recent solves of job %s: %w", job, err)
			}
			out[stage] = c
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SiteKey is how JobBugSites names a site: the file and the enclosing function ("" outside one).
func SiteKey(file, function string) string { return file + "\x00" + function }

// BugSites is one first-order bug's sites: what its injector episode applied, without error, since its last
// revert (what its hand-in was made of), each site once, by SiteKey.
type BugSites struct {
	Bug     string
	Created time.Time
	Sites   []string
	// Operators are the mutation operators of what it applied, one per application (several may share a
	// site), in the order applied.
	Operators []string
	Done      bool    // its attempts are all evaluated: SolveRate and Reward are known
	SolveRate float64 // the share of its attempts that succeeded
	Reward    float64 // the injector's reward for it
	// Solved and Failed count its attempts evaluated so far that succeeded and that did not, done or not.
	Solved, Failed int
}

// Outcome is how a first-order bug's attempts ended, the classes the injector's spread prior and the learning
// report share. The finished outcomes come first, so [Unfinished]T holds one T per finished outcome.
type Outcome int

const (
	SolvedNever     Outcome = iota // done, and no attempt succeeded
	SolvedSometimes                // done, with a solve rate strictly between 0 and 1
	SolvedAlways                   // done, and every attempt succeeded
	Unfinished                     // attempts remain to be evaluated
)

// Outcome is how b ended.
func (b BugSites) Outcome() Outcome {
	switch {
	case !b.Done:
		return Unfinished
	case b.SolveRate <= 0:
		return SolvedNever
	case b.SolveRate >= 1:
		return SolvedAlways
	}
	return SolvedSometimes
}

// Settled is how b ends as far as its evaluated attempts already decide it: its Outcome once done, and
// SolvedSometimes as soon as one attempt has succeeded and another has not (its solve rate can then only end
// strictly between 0 and 1), Unfinished otherwise. The injector's spread prior reads it, to learn of a bug in
// the middle before its last attempts are evaluated; the learning report keeps Outcome, for bugs that finished.
func (b BugSites) Settled() Outcome {
	if !b.Done && b.Solved > 0 && b.Failed > 0 {
		return SolvedSometimes
	}
	return b.Outcome()
}

// JobBugSites lists the sites of the job's last n first-order bugs on repo (every repo when repo is ""),
// newest first (by when they became bugs). Bugs whose injector episode chose no candidates (an agent that
// writes code) are listed with no sites.
func (s *Store) JobBugSites(ctx context.Context, job, repo string, n int) ([]BugSites, error) {
	var out []BugSites
	err := s.read(ctx, "bug sites of job "+job, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT b.id, b.created, b.done, b.reward, b.rate, b.solved, b.failed,
			coalesce(t.value->>'$.action.tool', ''),
			coalesce(t.value->>('$.action.decision.rows[' || (t.value->>'$.action.decision.chosen') || '].file'), ''),
			coalesce(t.value->>('$.action.decision.rows[' || (t.value->>'$.action.decision.chosen') || '].function'), ''),
			coalesce(t.value->>('$.action.decision.rows[' || (t.value->>'$.action.decision.chosen') || '].operator'), '')
			FROM (SELECT id, artifact_id, created, status = 'done' AND injector_reward IS NOT NULL AND solve_rate IS NOT NULL AS done,
				coalesce(injector_reward, 0) AS reward, coalesce(solve_rate, 0) AS rate,
				(SELECT count(*) FILTER (WHERE a.success = 1) FROM attempts a WHERE a.bug_id = bugs.id) AS solved,
				(SELECT count(*) FILTER (WHERE a.success = 0) FROM attempts a WHERE a.bug_id = bugs.id) AS failed
				FROM bugs WHERE job = ? AND (? = '' OR repo = ?) AND ord = 1 ORDER BY created DESC, id DESC LIMIT ?) b
			LEFT JOIN episodes e ON e.artifact_id = b.artifact_id AND e.role = 'injector'
			LEFT JOIN json_each(e.turns) t ON t.value->>'$.action.tool' IN (?, ?) AND t.value->>'$.result.error' IS NULL
			ORDER BY b.created DESC, b.id DESC, t.key`, job, repo, repo, n, agent.ToolApply, agent.ToolRevert)
		if err != nil {
			return fmt.Errorf("store: bug sites of job %s: %w", job, err)
		}
		defer rows.Close()
		var cur *BugSites
		flush := func() {
			if cur != nil {
				slices.Sort(cur.Sites)
				cur.Sites = slices.Compact(cur.Sites)
				out = append(out, *cur)
			}
		}
		for rows.Next() {
			var id, created, tool, file, function, op string
			var b BugSites
			if err := rows.Scan(&id, &created, &b.Done, &b.Reward, &b.SolveRate, &b.Solved, &b.Failed, &tool, &file, &function, &op); err != nil {
				return fmt.Errorf("store: bug sites of job %s: %w", job, err)
			}
			if cur == nil || cur.Bug != id {
				flush()
				if b.Created, err = parseTime(created); err != nil {
					return fmt.Errorf("store: bug sites of job %s: bug %s: %w", job, id, err)
				}
				b.Bug = id
				cur = &b
			}
			switch {
			case tool == agent.ToolRevert:
				cur.Sites, cur.Operators = cur.Sites[:0], cur.Operators[:0]
			case tool == agent.ToolApply && file != "":
				cur.Sites = append(cur.Sites, SiteKey(file, function))
				cur.Operators = append(cur.Operators, op)
			}
		}
		flush()
		return rows.Err()
	})
	return out, err
}
