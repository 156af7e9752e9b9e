package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// ProposeArtifact records an artifact an injector handed in, before validation, together with
// the injector's episode (nil if there is none), in one transaction. Until
// [Store.RecordValidation] reports on it, it is listed by [Store.PendingArtifacts].
// An empty Order means 1; the episode's artifact, job and repo default to the artifact's.
func (s *Store) ProposeArtifact(ctx context.Context, a Artifact, injector *Episode) error {
	what := "propose artifact " + a.ID
	if a.ID == "" || a.Job == "" || a.Repo == "" {
		return fmt.Errorf("store: propose artifact: %w: id, job and repo are required (artifact %q, job %q, repo %q)", ErrInvalid, a.ID, a.Job, a.Repo)
	}
	if a.Order == 0 {
		a.Order = 1
	}
	if a.Order != 1 && a.Order != 2 {
		return fmt.Errorf("store: %s: %w: order %d (want 1 or 2)", what, ErrInvalid, a.Order)
	}
	if a.Order == 2 && (a.ParentBug == "" || a.ParentAttempt == "") {
		return fmt.Errorf("store: %s: %w: an order-2 artifact needs its parent bug and parent attempt", what, ErrInvalid)
	}
	if p := bytes.TrimSpace(a.Parts); len(p) == 0 || p[0] != '{' || !json.Valid(p) {
		return fmt.Errorf("store: %s: %w: parts must be a JSON object holding the five parts", what, ErrInvalid)
	}
	metadata, err := jsonDoc("metadata", a.Metadata)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if injector != nil {
		e := *injector
		injector = &e
		fillEpisode(injector, RoleInjector, a.Job, a.Repo)
		if injector.ArtifactID == "" {
			injector.ArtifactID = a.ID
		}
	}
	a.Created = s.stamp(a.Created)
	return s.write(ctx, what, func(tx *sql.Tx) error {
		if _, err := execTx(ctx, tx, what,
			`INSERT INTO artifacts (id, job, repo, strategy, ord, parent_bug, parent_attempt, policy_version, agent, parts, metadata, created, stage)
			 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
			   CASE json_type(?10, '$.metadata.curriculum_stage') WHEN 'text' THEN json_extract(?10, '$.metadata.curriculum_stage') ELSE '' END)`,
			a.ID, a.Job, a.Repo, a.Strategy, a.Order, nullString(a.ParentBug), nullString(a.ParentAttempt),
			a.PolicyVersion, a.Agent, string(a.Parts), metadata, formatTime(a.Created)); err != nil {
			return err
		}
		if injector != nil {
			return s.putEpisode(ctx, tx, injector, false)
		}
		return nil
	})
}

// fillEpisode fills an episode's empty role, job and repo.
func fillEpisode(e *Episode, role Role, job, repo string) {
	if e.Role == "" {
		e.Role = role
	}
	if e.Job == "" {
		e.Job = job
	}
	if e.Repo == "" {
		e.Repo = repo
	}
}

const artifactCols = `a.id, a.job, a.repo, a.strategy, a.ord, coalesce(a.parent_bug, ''), coalesce(a.parent_attempt, ''),
	a.policy_version, a.agent, a.parts, a.metadata, a.created`

// artifactRow holds the scan destinations of artifactCols.
type artifactRow struct {
	a              Artifact
	parts, created string
	metadata       sql.NullString
}

func (x *artifactRow) dest() []any {
	a := &x.a
	return []any{&a.ID, &a.Job, &a.Repo, &a.Strategy, &a.Order, &a.ParentBug, &a.ParentAttempt,
		&a.PolicyVersion, &a.Agent, &x.parts, &x.metadata, &x.created}
}

func (x *artifactRow) artifact() (Artifact, error) {
	a := x.a
	a.Parts, a.Metadata = json.RawMessage(x.parts), rawJSON(x.metadata)
	var err error
	a.Created, err = parseTime(x.created)
	return a, err
}

func scanArtifact(r rowScanner) (Artifact, error) {
	var x artifactRow
	if err := r.Scan(x.dest()...); err != nil {
		return x.a, err
	}
	return x.artifact()
}

// GetArtifact returns the artifact with id.
func (s *Store) GetArtifact(ctx context.Context, id string) (Artifact, error) {
	return getArtifact(ctx, s.r, id)
}

func getArtifact(ctx context.Context, q querier, id string) (Artifact, error) {
	a, err := scanArtifact(q.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM artifacts a WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("store: artifact %s: %w: propose it first", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("store: artifact %s: %w", id, err)
	}
	return a, nil
}

// RecordValidation records, in one transaction, the validator's report on a proposed artifact,
// the bug it became (bug must be non-nil exactly when the report is valid), the injector's
// episode and the raw logs of the runs. The episode may be nil; if one is stored under its id
// already (by ProposeArtifact), its non-zero fields update that one, so &Episode{ID: id,
// Reward: &r} records the reward of a rejected artifact's injector and keeps its turns.
//
// Logs take the artifact's job and id as Job and Ref when those are empty, and their ids are
// added to the report's LogIDs (which may also name logs recorded earlier, such as a cached
// original run). The bug's job, repo, order and parents come from the artifact; empty F2P and
// P2P lists come from the report. A second report on the same artifact is ErrDuplicate.
func (s *Store) RecordValidation(ctx context.Context, v Validation, bug *Bug, injector *Episode, logs ...RawLog) error {
	what := "record validation of artifact " + v.ArtifactID
	switch {
	case v.ArtifactID == "":
		return fmt.Errorf("store: record validation: %w: empty artifact id", ErrInvalid)
	case v.Valid && bug == nil:
		return fmt.Errorf("store: %s: %w: a valid artifact needs its bug", what, ErrInvalid)
	case !v.Valid && bug != nil:
		return fmt.Errorf("store: %s: %w: a rejected artifact makes no bug", what, ErrInvalid)
	case bug != nil && bug.ID == "":
		return fmt.Errorf("store: %s: %w: the bug has no id", what, ErrInvalid)
	}
	packed, err := s.pack(logs)
	if err != nil {
		return err
	}
	v.Created = s.stamp(v.Created)
	return s.write(ctx, what, func(tx *sql.Tx) error {
		a, err := getArtifact(ctx, tx, v.ArtifactID)
		if err != nil {
			return err
		}
		ids, err := insertLogs(ctx, tx, packed, a.Job, a.ID)
		if err != nil {
			return err
		}
		v.LogIDs = slices.Clone(v.LogIDs)
		for _, id := range ids {
			if !slices.Contains(v.LogIDs, id) {
				v.LogIDs = append(v.LogIDs, id)
			}
		}
		if err := checkLogs(ctx, tx, what, v.LogIDs); err != nil {
			return err
		}
		durations := "{}"
		if v.Durations != nil {
			durations = jsonValue(v.Durations)
		}
		notes, err := jsonDoc("notes", v.Notes)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if _, err := execTx(ctx, tx, what,
			`INSERT INTO validations (artifact_id, valid, reason, step, f2p, p2p, durations, log_ids, notes, created)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ArtifactID, v.Valid, v.Reason, v.Step, strList(v.F2P), strList(v.P2P), durations,
			strList(v.LogIDs), notes, formatTime(v.Created)); err != nil {
			return err
		}
		if bug != nil {
			b := *bug
			b.ArtifactID, b.Job, b.Repo, b.Order = a.ID, a.Job, a.Repo, a.Order
			b.ParentBug, b.ParentAttempt = a.ParentBug, a.ParentAttempt
			if b.F2P == nil {
				b.F2P = v.F2P
			}
			if b.P2P == nil {
				b.P2P = v.P2P
			}
			if err := s.insertBug(ctx, tx, &b); err != nil {
				return err
			}
		}
		if injector != nil {
			e := *injector
			fillEpisode(&e, RoleInjector, a.Job, a.Repo)
			if e.ArtifactID == "" {
				e.ArtifactID = a.ID
			}
			return s.putEpisode(ctx, tx, &e, true)
		}
		return nil
	})
}

// checkLogs fails unless every id names a stored log.
func checkLogs(ctx context.Context, tx *sql.Tx, what string, ids []string) error {
	for _, id := range ids {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM raw_logs WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %s: %w: log %s is not recorded", what, ErrInvalid, id)
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
	}
	return nil
}

// GetValidation returns the validation report on an artifact.
func (s *Store) GetValidation(ctx context.Context, artifactID string) (Validation, error) {
	var v Validation
	var f2p, p2p, durations, logIDs, created string
	var notes sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT artifact_id, valid, reason, step, f2p, p2p, durations, log_ids, notes, created
		FROM validations WHERE artifact_id = ?`, artifactID).
		Scan(&v.ArtifactID, &v.Valid, &v.Reason, &v.Step, &f2p, &p2p, &durations, &logIDs, &notes, &created)
	v.Notes = rawJSON(notes)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("store: validation of artifact %s: %w", artifactID, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("store: validation of artifact %s: %w", artifactID, err)
	}
	var errs [5]error
	v.F2P, errs[0] = decodeStrings("f2p", f2p)
	v.P2P, errs[1] = decodeStrings("p2p", p2p)
	v.LogIDs, errs[2] = decodeStrings("log_ids", logIDs)
	errs[3] = json.Unmarshal([]byte(durations), &v.Durations)
	if len(v.Durations) == 0 {
		v.Durations = nil
	}
	v.Created, errs[4] = parseTime(created)
	if err := errors.Join(errs[:]...); err != nil {
		return v, fmt.Errorf("store: validation of artifact %s: %w", artifactID, err)
	}
	return v, nil
}
