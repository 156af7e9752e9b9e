package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

func (r Role) valid() bool { return r == RoleInjector || r == RoleSolver }

// putEpisode writes e in tx. With merge, an episode already stored under e.ID is updated with
// e's non-zero fields instead (the injector episode stored by ProposeArtifact gets its reward
// at validation without the caller having to send its turns again).
func (s *Store) putEpisode(ctx context.Context, tx *sql.Tx, e *Episode, merge bool) error {
	what := "record episode " + e.ID
	if e.ID == "" || e.Job == "" {
		return fmt.Errorf("store: record episode: %w: id and job are required (episode %q, job %q)", ErrInvalid, e.ID, e.Job)
	}
	if !e.Role.valid() {
		return fmt.Errorf("store: %s: %w: role %q (want injector or solver)", what, ErrInvalid, e.Role)
	}
	if len(e.Turns) > 0 {
		var list []json.RawMessage
		if err := json.Unmarshal(e.Turns, &list); err != nil {
			return fmt.Errorf("store: %s: %w: turns must be a JSON array: %v", what, ErrInvalid, err)
		}
		e.NTurns = len(list)
	}
	if merge {
		old, err := getEpisode(ctx, tx, e.ID)
		switch {
		case err == nil:
			mergeEpisode(&old, e)
			_, err = execTx(ctx, tx, what, `UPDATE episodes SET job = ?, role = ?, agent = ?, policy_version = ?, repo = ?,
				artifact_id = ?, bug_id = ?, attempt_id = ?, turns = ?, n_turns = ?, reward = ?, advantage = ?, started = ?,
				finished = ? WHERE id = ?`, old.Job, string(old.Role), old.Agent, old.PolicyVersion, old.Repo,
				nullString(old.ArtifactID), nullString(old.BugID), nullString(old.AttemptID), string(old.Turns), old.NTurns,
				nullFloat(old.Reward), nullFloat(old.Advantage), formatTime(old.Started), formatTime(old.Finished), old.ID)
			return err
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	turns := string(e.Turns)
	if turns == "" {
		turns = "[]"
	}
	e.Started = s.stamp(e.Started)
	e.Finished = s.stamp(e.Finished)
	_, err := execTx(ctx, tx, what, `INSERT INTO episodes (id, job, role, agent, policy_version, repo, artifact_id, bug_id,
		attempt_id, turns, n_turns, reward, advantage, started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Job, string(e.Role), e.Agent, e.PolicyVersion, e.Repo, nullString(e.ArtifactID), nullString(e.BugID),
		nullString(e.AttemptID), turns, e.NTurns, nullFloat(e.Reward), nullFloat(e.Advantage),
		formatTime(e.Started), formatTime(e.Finished))
	return err
}

// mergeEpisode overwrites old's fields with new's non-zero ones.
func mergeEpisode(old, e *Episode) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&old.Job, e.Job)
	set((*string)(&old.Role), string(e.Role))
	set(&old.Agent, e.Agent)
	set(&old.Repo, e.Repo)
	set(&old.ArtifactID, e.ArtifactID)
	set(&old.BugID, e.BugID)
	set(&old.AttemptID, e.AttemptID)
	if e.PolicyVersion != 0 {
		old.PolicyVersion = e.PolicyVersion
	}
	if len(e.Turns) > 0 {
		old.Turns, old.NTurns = e.Turns, e.NTurns
	}
	if e.Reward != nil {
		old.Reward = e.Reward
	}
	if e.Advantage != nil {
		old.Advantage = e.Advantage
	}
	if !e.Started.IsZero() {
		old.Started = e.Started
	}
	if !e.Finished.IsZero() {
		old.Finished = e.Finished
	}
}

const episodeCols = `id, job, role, agent, policy_version, repo, coalesce(artifact_id, ''), coalesce(bug_id, ''),
	coalesce(attempt_id, ''), n_turns, reward, advantage, started, finished`

func scanEpisode(r rowScanner, extra ...any) (Episode, error) {
	var e Episode
	var role, started, finished string
	var reward, adv sql.NullFloat64
	dest := []any{&e.ID, &e.Job, &role, &e.Agent, &e.PolicyVersion, &e.Repo, &e.ArtifactID, &e.BugID,
		&e.AttemptID, &e.NTurns, &reward, &adv, &started, &finished}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return e, err
	}
	e.Role = Role(role)
	e.Reward, e.Advantage = floatPtr(reward), floatPtr(adv)
	var err1, err2 error
	e.Started, err1 = parseTime(started)
	e.Finished, err2 = parseTime(finished)
	return e, errors.Join(err1, err2)
}

// GetEpisode returns the episode with id, turns included.
func (s *Store) GetEpisode(ctx context.Context, id string) (Episode, error) {
	return getEpisode(ctx, s.r, id)
}

func getEpisode(ctx context.Context, q querier, id string) (Episode, error) {
	var turns string
	e, err := scanEpisode(q.QueryRowContext(ctx, `SELECT `+episodeCols+`, turns FROM episodes WHERE id = ?`, id), &turns)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("store: episode %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("store: episode %s: %w", id, err)
	}
	e.Turns = json.RawMessage(turns)
	return e, nil
}

// EpisodeTurns returns only the turns of an episode (a JSON array).
func (s *Store) EpisodeTurns(ctx context.Context, id string) (json.RawMessage, error) {
	var turns string
	err := s.r.QueryRowContext(ctx, `SELECT turns FROM episodes WHERE id = ?`, id).Scan(&turns)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: turns of episode %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: turns of episode %s: %w", id, err)
	}
	return json.RawMessage(turns), nil
}

// EpisodeFilter narrows [Store.ListEpisodes]; zero fields match everything.
type EpisodeFilter struct {
	Role       Role
	Repo       string
	ArtifactID string
	BugID      string
	Limit      int // 0: no limit
	Offset     int
}

// ListEpisodes returns a job's episodes in the order they started, without their turns
// (NTurns says how many there are; [Store.EpisodeTurns] reads them).
func (s *Store) ListEpisodes(ctx context.Context, job string, f EpisodeFilter) ([]Episode, error) {
	var where strings.Builder
	args := []any{job}
	where.WriteString(`job = ?`)
	for _, c := range []struct{ col, val string }{
		{"role", string(f.Role)}, {"repo", f.Repo}, {"artifact_id", f.ArtifactID}, {"bug_id", f.BugID},
	} {
		if c.val != "" {
			where.WriteString(" AND " + c.col + " = ?")
			args = append(args, c.val)
		}
	}
	limit := -1
	if f.Limit > 0 {
		limit = f.Limit
	}
	args = append(args, limit, f.Offset)
	return queryAll(ctx, s, "list episodes of job "+job, func(r rowScanner) (Episode, error) { return scanEpisode(r) },
		`SELECT `+episodeCols+` FROM episodes WHERE `+where.String()+` ORDER BY started, id LIMIT ? OFFSET ?`, args...)
}

// SetAdvantages records the advantage of each episode (episode id → advantage) in one transaction.
func (s *Store) SetAdvantages(ctx context.Context, adv map[string]float64) error {
	return s.write(ctx, "set advantages", func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE episodes SET advantage = ? WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("store: set advantages: %w", err)
		}
		defer stmt.Close()
		for id, a := range adv {
			res, err := stmt.ExecContext(ctx, a, id)
			if err != nil {
				return fmt.Errorf("store: set advantage of episode %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("store: set advantage of episode %s: %w", id, ErrNotFound)
			}
		}
		return nil
	})
}

// RewardGroup is a set of rewarded episodes whose advantages are normalised together:
// a bug's solver attempts (Key "bug:<id>") or an injector batch of one repo (Key "repo:<name>").
type RewardGroup struct {
	Role    Role           `json:"role"`
	Key     string         `json:"key"`
	Members []RewardMember `json:"members"`
}

// RewardMember is one episode of a reward group.
type RewardMember struct {
	EpisodeID     string   `json:"episode_id"`
	PolicyVersion int64    `json:"policy_version"`
	Reward        float64  `json:"reward"`
	Advantage     *float64 `json:"advantage,omitempty"`
}

// RewardGroups returns a job's reward groups for one role (from the reward_groups view),
// groups ordered by key and members by start time.
func (s *Store) RewardGroups(ctx context.Context, job string, role Role) ([]RewardGroup, error) {
	type row struct {
		key string
		m   RewardMember
	}
	rows, err := queryAll(ctx, s, "reward groups of job "+job, func(r rowScanner) (row, error) {
		var x row
		var adv sql.NullFloat64
		err := r.Scan(&x.key, &x.m.EpisodeID, &x.m.PolicyVersion, &x.m.Reward, &adv)
		x.m.Advantage = floatPtr(adv)
		return x, err
	}, `SELECT group_key, episode_id, policy_version, reward, advantage FROM reward_groups
		WHERE job = ? AND role = ? ORDER BY group_key, started, episode_id`, job, string(role))
	if err != nil {
		return nil, err
	}
	var out []RewardGroup
	for _, x := range rows {
		if len(out) == 0 || out[len(out)-1].Key != x.key {
			out = append(out, RewardGroup{Role: role, Key: x.key})
		}
		g := &out[len(out)-1]
		g.Members = append(g.Members, x.m)
	}
	return out, nil
}
