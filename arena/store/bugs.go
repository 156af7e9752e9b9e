package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

func (s *Store) insertBug(ctx context.Context, tx *sql.Tx, b *Bug) error {
	what := "record bug " + b.ID
	if b.Status == "" {
		b.Status = BugOpen
	}
	if b.Status != BugOpen && b.Status != BugSolving && b.Status != BugDone {
		return fmt.Errorf("store: %s: %w: status %q (want open, solving or done)", what, ErrInvalid, b.Status)
	}
	b.Created = s.stamp(b.Created)
	if b.Updated.IsZero() {
		b.Updated = b.Created
	}
	_, err := execTx(ctx, tx, what,
		`INSERT INTO bugs (id, artifact_id, job, repo, ord, parent_bug, parent_attempt, f2p, p2p, injector_reward,
			solve_rate, status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.ArtifactID, b.Job, b.Repo, b.Order, nullString(b.ParentBug), nullString(b.ParentAttempt),
		strList(b.F2P), strList(b.P2P), nullFloat(b.InjectorReward), nullFloat(b.SolveRate), string(b.Status),
		formatTime(b.Created), formatTime(b.Updated))
	return err
}

const bugCols = `b.id, b.artifact_id, b.job, b.repo, b.ord, coalesce(b.parent_bug, ''), coalesce(b.parent_attempt, ''),
	b.f2p, b.p2p, b.injector_reward, b.solve_rate, b.status, b.created, b.updated`

// bugRow holds the scan destinations of bugCols.
type bugRow struct {
	b                                 Bug
	f2p, p2p, status, created, update string
	reward, rate                      sql.NullFloat64
}

func (x *bugRow) dest() []any {
	b := &x.b
	return []any{&b.ID, &b.ArtifactID, &b.Job, &b.Repo, &b.Order, &b.ParentBug, &b.ParentAttempt,
		&x.f2p, &x.p2p, &x.reward, &x.rate, &x.status, &x.created, &x.update}
}

func (x *bugRow) bug() (Bug, error) {
	b := x.b
	b.Status, b.InjectorReward, b.SolveRate = BugStatus(x.status), floatPtr(x.reward), floatPtr(x.rate)
	var errs [4]error
	b.F2P, errs[0] = decodeStrings("f2p", x.f2p)
	b.P2P, errs[1] = decodeStrings("p2p", x.p2p)
	b.Created, errs[2] = parseTime(x.created)
	b.Updated, errs[3] = parseTime(x.update)
	return b, errors.Join(errs[:]...)
}

func scanBug(r rowScanner) (Bug, error) {
	var x bugRow
	if err := r.Scan(x.dest()...); err != nil {
		return Bug{}, err
	}
	return x.bug()
}

// GetBug returns the bug with id.
func (s *Store) GetBug(ctx context.Context, id string) (Bug, error) {
	return getBug(ctx, s.r, id)
}

func getBug(ctx context.Context, q querier, id string) (Bug, error) {
	b, err := scanBug(q.QueryRowContext(ctx, `SELECT `+bugCols+` FROM bugs b WHERE b.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("store: bug %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("store: bug %s: %w", id, err)
	}
	return b, nil
}

// RecordAttempt records, in one transaction, a solver attempt on a bug, the solver's episode
// (nil if there is none) and the raw logs of its evaluation, and marks an open bug as solving.
// An attempt whose (bug, index) is already recorded fails with ErrDuplicate and writes nothing,
// so a resumed job can never count an attempt twice.
//
// The episode's role, job, repo, bug and attempt default to the attempt's, its reward to the
// attempt's reward, and the attempt's EpisodeID to the episode's id. Logs take the bug's job and
// the attempt's id as Job and Ref when those are empty; their ids are added to LogIDs.
func (s *Store) RecordAttempt(ctx context.Context, a Attempt, solver *Episode, logs ...RawLog) error {
	what := fmt.Sprintf("record attempt %d on bug %s", a.Index, a.BugID)
	if a.ID == "" || a.BugID == "" || a.Index < 0 {
		return fmt.Errorf("store: %s: %w: id %q, bug and an index >= 0 are required", what, ErrInvalid, a.ID)
	}
	details, err := jsonDoc("details", a.Details)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	packed, err := s.pack(logs)
	if err != nil {
		return err
	}
	if solver != nil {
		e := *solver
		solver = &e
		if solver.BugID == "" {
			solver.BugID = a.BugID
		}
		if solver.AttemptID == "" {
			solver.AttemptID = a.ID
		}
		if solver.Reward == nil {
			r := a.Reward
			solver.Reward = &r
		}
		if a.EpisodeID == "" {
			a.EpisodeID = solver.ID
		}
	}
	a.Started = s.stamp(a.Started)
	a.Finished = s.stamp(a.Finished)
	return s.write(ctx, what, func(tx *sql.Tx) error {
		var job, repo, status string
		err := tx.QueryRowContext(ctx, `SELECT job, repo, status FROM bugs WHERE id = ?`, a.BugID).Scan(&job, &repo, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %s: %w: no such bug", what, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if BugStatus(status) == BugDone {
			return fmt.Errorf("store: %s: %w: the bug is already finished", what, ErrInvalid)
		}
		ids, err := insertLogs(ctx, tx, packed, job, a.ID)
		if err != nil {
			return err
		}
		a.LogIDs = slices.Clone(a.LogIDs)
		for _, id := range ids {
			if !slices.Contains(a.LogIDs, id) {
				a.LogIDs = append(a.LogIDs, id)
			}
		}
		if err := checkLogs(ctx, tx, what, a.LogIDs); err != nil {
			return err
		}
		if _, err := execTx(ctx, tx, what,
			`INSERT INTO attempts (id, bug_id, idx, episode_id, prediction, success, reward, details, log_ids, started, finished)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.BugID, a.Index, nullString(a.EpisodeID), a.Prediction, a.Success, a.Reward, details,
			strList(a.LogIDs), formatTime(a.Started), formatTime(a.Finished)); err != nil {
			return err
		}
		if solver != nil {
			fillEpisode(solver, RoleSolver, job, repo)
			if err := s.putEpisode(ctx, tx, solver, false); err != nil {
				return err
			}
		}
		if BugStatus(status) == BugOpen {
			_, err = execTx(ctx, tx, what, `UPDATE bugs SET status = 'solving', updated = ? WHERE id = ?`, formatTime(s.now()), a.BugID)
		}
		return err
	})
}

const attemptCols = `t.id, t.bug_id, t.idx, coalesce(t.episode_id, ''), t.prediction, t.success, t.reward, t.details,
	t.log_ids, t.started, t.finished`

// attemptRow holds the scan destinations of attemptCols.
type attemptRow struct {
	a                         Attempt
	details                   sql.NullString
	logIDs, started, finished string
}

func (x *attemptRow) dest() []any {
	a := &x.a
	return []any{&a.ID, &a.BugID, &a.Index, &a.EpisodeID, &a.Prediction, &a.Success, &a.Reward, &x.details,
		&x.logIDs, &x.started, &x.finished}
}

func (x *attemptRow) attempt() (Attempt, error) {
	a := x.a
	a.Details = rawJSON(x.details)
	var errs [3]error
	a.LogIDs, errs[0] = decodeStrings("log_ids", x.logIDs)
	a.Started, errs[1] = parseTime(x.started)
	a.Finished, errs[2] = parseTime(x.finished)
	return a, errors.Join(errs[:]...)
}

func scanAttempt(r rowScanner) (Attempt, error) {
	var x attemptRow
	if err := r.Scan(x.dest()...); err != nil {
		return Attempt{}, err
	}
	return x.attempt()
}

// Attempts returns a bug's recorded attempts by index.
func (s *Store) Attempts(ctx context.Context, bugID string) ([]Attempt, error) {
	return queryAll(ctx, s, "attempts on bug "+bugID, scanAttempt,
		`SELECT `+attemptCols+` FROM attempts t WHERE t.bug_id = ? ORDER BY t.idx`, bugID)
}

// FinishBug closes a bug once all its attempts are evaluated: it records the solve rate and the
// injector's reward on the bug and on the injector episode of its artifact, and marks it done,
// in one transaction. Finishing a bug twice is ErrDuplicate.
func (s *Store) FinishBug(ctx context.Context, bugID string, injectorReward, solveRate float64) error {
	what := "finish bug " + bugID
	return s.write(ctx, what, func(tx *sql.Tx) error {
		var artifact, status string
		err := tx.QueryRowContext(ctx, `SELECT artifact_id, status FROM bugs WHERE id = ?`, bugID).Scan(&artifact, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %s: %w", what, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if BugStatus(status) == BugDone {
			return fmt.Errorf("store: %s: %w: the bug is already done", what, ErrDuplicate)
		}
		if _, err := execTx(ctx, tx, what,
			`UPDATE bugs SET injector_reward = ?, solve_rate = ?, status = 'done', updated = ? WHERE id = ?`,
			injectorReward, solveRate, formatTime(s.now()), bugID); err != nil {
			return err
		}
		_, err = execTx(ctx, tx, what, `UPDATE episodes SET reward = ? WHERE role = 'injector' AND artifact_id = ?`,
			injectorReward, artifact)
		return err
	})
}
