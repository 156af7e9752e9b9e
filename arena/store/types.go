package store

import (
	"encoding/json"
	"time"
)

// JobStatus is where a job stands.
type JobStatus string

// Job statuses.
const (
	JobRunning  JobStatus = "running"
	JobStopped  JobStatus = "stopped"
	JobFinished JobStatus = "finished"
	JobFailed   JobStatus = "failed"
)

// BugStatus is where a bug stands: open (no attempt yet) → solving (attempts recorded) → done
// (every attempt evaluated and the injector rewarded, see [Store.FinishBug]).
type BugStatus string

// Bug statuses.
const (
	BugOpen    BugStatus = "open"
	BugSolving BugStatus = "solving"
	BugDone    BugStatus = "done"
)

// Role is the part an agent plays in an episode.
type Role string

// Roles.
const (
	RoleInjector Role = "injector"
	RoleSolver   Role = "solver"
)

// LogKind says which test run a raw log comes from.
type LogKind string

// Log kinds: the validation runs (original, bug, weaken, inverse), a solver attempt's evaluation,
// and a repo's baseline run.
const (
	LogOriginal LogKind = "original"
	LogBug      LogKind = "bug"
	LogWeaken   LogKind = "weaken"
	LogInverse  LogKind = "inverse"
	LogEval     LogKind = "eval"
	LogBaseline LogKind = "baseline"
)

// Job is one self-play run.
type Job struct {
	ID      string    `json:"id"` // e.g. job-20261125-171900-ab12
	Name    string    `json:"name"`
	Config  string    `json:"config"` // the job's configuration as given (YAML or JSON text)
	Status  JobStatus `json:"status"`
	Owner   string    `json:"owner"`            // the process that last ran it, e.g. pid@host:start
	Reason  string    `json:"reason,omitempty"` // why it failed (status failed only)
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Repo is a codebase a job plays on, as built for it.
type Repo struct {
	Job      string          `json:"job"`
	Name     string          `json:"name"`
	ImageRef string          `json:"image_ref"`
	ImageID  string          `json:"image_id"`
	Commit   string          `json:"commit"`
	Language string          `json:"language"`
	Baseline json.RawMessage `json:"baseline,omitempty"` // baseline test summary
}

// PolicyVersion is a numbered snapshot of the shared model.
type PolicyVersion struct {
	Version    int64           `json:"version"`
	Created    time.Time       `json:"created"`
	Checkpoint string          `json:"checkpoint"` // path of the checkpoint
	Metrics    json.RawMessage `json:"metrics,omitempty"`
}

// Artifact is what an injector handed in.
type Artifact struct {
	ID            string          `json:"id"`
	Job           string          `json:"job"`
	Repo          string          `json:"repo"`
	Strategy      string          `json:"strategy"`
	Order         int             `json:"order"`                    // 1, or 2 when built from a failed attempt
	ParentBug     string          `json:"parent_bug,omitempty"`     // order 2: the first-order bug
	ParentAttempt string          `json:"parent_attempt,omitempty"` // order 2: the attempt whose prediction is applied
	PolicyVersion int64           `json:"policy_version"`
	Agent         string          `json:"agent"`
	Parts         json.RawMessage `json:"parts"` // the five parts as one JSON object, in the arena's encoding
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	Created       time.Time       `json:"created"`
}

// Validation is the validator's report on one artifact.
type Validation struct {
	ArtifactID string                   `json:"artifact_id"`
	Valid      bool                     `json:"valid"`
	Reason     string                   `json:"reason,omitempty"` // why it was rejected
	Step       string                   `json:"step"`             // the last step reached
	F2P        []string                 `json:"f2p,omitempty"`
	P2P        []string                 `json:"p2p,omitempty"`
	Durations  map[string]time.Duration `json:"durations,omitempty"` // per step
	LogIDs     []string                 `json:"log_ids,omitempty"`   // raw logs of every run it used
	Notes      json.RawMessage          `json:"notes,omitempty"`     // tests the verdict excluded and why (the arena's encoding)
	Created    time.Time                `json:"created"`
}

// Bug is a validated artifact that solvers attempt.
type Bug struct {
	ID             string    `json:"id"`
	ArtifactID     string    `json:"artifact_id"`
	Job            string    `json:"job"`
	Repo           string    `json:"repo"`
	Order          int       `json:"order"`
	ParentBug      string    `json:"parent_bug,omitempty"`
	ParentAttempt  string    `json:"parent_attempt,omitempty"`
	F2P            []string  `json:"f2p"`
	P2P            []string  `json:"p2p"`
	InjectorReward *float64  `json:"injector_reward,omitempty"` // set by FinishBug
	SolveRate      *float64  `json:"solve_rate,omitempty"`      // set by FinishBug
	Status         BugStatus `json:"status"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
}

// Attempt is one solver episode's outcome on one bug.
type Attempt struct {
	ID         string          `json:"id"`
	BugID      string          `json:"bug_id"`
	Index      int             `json:"index"` // 0..n-1; unique per bug
	EpisodeID  string          `json:"episode_id,omitempty"`
	Prediction string          `json:"prediction"` // the solver's diff against the bug state
	Success    bool            `json:"success"`
	Reward     float64         `json:"reward"`
	Details    json.RawMessage `json:"details,omitempty"` // per-test statuses of F2P and P2P
	LogIDs     []string        `json:"log_ids,omitempty"`
	Started    time.Time       `json:"started"`
	Finished   time.Time       `json:"finished"`
}

// Episode is one run of an agent in one role, turn by turn.
type Episode struct {
	ID            string          `json:"id"`
	Job           string          `json:"job"`
	Role          Role            `json:"role"`
	Agent         string          `json:"agent"`
	PolicyVersion int64           `json:"policy_version"`
	Repo          string          `json:"repo"`
	ArtifactID    string          `json:"artifact_id,omitempty"`
	BugID         string          `json:"bug_id,omitempty"`
	AttemptID     string          `json:"attempt_id,omitempty"`
	Turns         json.RawMessage `json:"turns,omitempty"` // JSON array; left nil by ListEpisodes
	NTurns        int             `json:"n_turns"`         // length of Turns, kept by the store
	Reward        *float64        `json:"reward,omitempty"`
	Advantage     *float64        `json:"advantage,omitempty"`
	Started       time.Time       `json:"started"`
	Finished      time.Time       `json:"finished"`
}

// RawLog is the raw output of one test run, kept so that verdicts can be recomputed later.
// Output is stored gzip-compressed and returned as it was given.
type RawLog struct {
	ID       string          `json:"id"` // left empty, the store assigns one
	Job      string          `json:"job"`
	Kind     LogKind         `json:"kind"`
	Ref      string          `json:"ref"` // the artifact, attempt or repo the run belongs to
	Output   []byte          `json:"-"`
	Size     int64           `json:"size"` // len(Output); kept by the store
	ExitCode int             `json:"exit_code"`
	Duration time.Duration   `json:"duration"`
	Results  json.RawMessage `json:"results,omitempty"` // the parsed {test id: status} map
	End      string          `json:"end,omitempty"`     // how the run ended: completed, timed_out, build_failed, crashed ("" before schema 3)
	TimedOut bool            `json:"timed_out,omitempty"`
	Timeout  time.Duration   `json:"timeout,omitempty"` // the limit it ran under
	Created  time.Time       `json:"created"`
}
