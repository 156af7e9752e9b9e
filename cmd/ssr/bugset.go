package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos"
)

// bugSetFormat names the layout of a frozen bug set; a reader refuses any other.
const bugSetFormat = "ssr-bugset/1"

// bugSet is a frozen set of valid bugs, what 'ssr policy freeze' writes and 'ssr policy eval' reads: one
// JSON file that holds everything needed to attempt them again, away from the job's database: how to build
// each repository again and the identity it had (commit, image), the job's protocol settings, and each
// bug's artifact, F2P and P2P tests (and, for order 2, the failed prediction on top).
type bugSet struct {
	Format  string        `json:"format"`
	Job     string        `json:"job"`    // the job the bugs were made in
	Filter  string        `json:"filter"` // how they were chosen, for the record
	Created time.Time     `json:"created"`
	Arena   arena.Config  `json:"arena"` // the job's protocol settings: eval attempts the bugs under them
	Repos   []frozenRepo  `json:"repos"`
	Bugs    []frozenBug   `json:"bugs"`
	Stats   bugSetSummary `json:"summary"`
}

// frozenRepo is one repository of a set: its entry in the job's config, and what it was when frozen.
type frozenRepo struct {
	Repo     repos.Repo `json:"repo"`
	ImageRef string     `json:"image_ref"`
	ImageID  string     `json:"image_id"`
	Commit   string     `json:"commit"`
	Language string     `json:"language"`
}

// frozenBug is one bug of a set.
type frozenBug struct {
	ID               string          `json:"id"` // its id in the job
	Repo             string          `json:"repo"`
	Strategy         string          `json:"strategy"`
	Order            int             `json:"order"`
	F2P              []string        `json:"f2p"`
	P2P              []string        `json:"p2p"`
	SolveRate        *float64        `json:"solve_rate,omitempty"` // in its job, for the record
	Artifact         json.RawMessage `json:"artifact"`             // the five parts, as arena/artifact's JSON record
	ParentPrediction string          `json:"parent_prediction,omitempty"`
}

// bugSetSummary counts a set's bugs.
type bugSetSummary struct {
	Bugs   int            `json:"bugs"`
	ByRepo map[string]int `json:"by_repo"`
}

// readBugSet reads and checks a frozen set.
func readBugSet(path string) (*bugSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--bugs %s: %w (make a set with 'ssr policy freeze JOB --out FILE')", path, err)
	}
	var s bugSet
	if err := json.Unmarshal(data, &s); err != nil || s.Format != bugSetFormat {
		return nil, fmt.Errorf("--bugs %s: not a frozen bug set (%s): make one with 'ssr policy freeze JOB --out FILE'", path, errOr(err, "format "+s.Format))
	}
	if len(s.Bugs) == 0 {
		return nil, fmt.Errorf("--bugs %s: the set has no bugs: freeze it again from a job with valid bugs", path)
	}
	if err := s.Arena.Validate(); err != nil {
		return nil, fmt.Errorf("--bugs %s: its arena settings cannot run: %w", path, err)
	}
	known := map[string]bool{}
	for _, r := range s.Repos {
		known[r.Repo.Name] = true
	}
	for _, b := range s.Bugs {
		if !known[b.Repo] {
			return nil, fmt.Errorf("--bugs %s: bug %s is on repository %q, which the set does not describe: freeze it again", path, b.ID, b.Repo)
		}
	}
	return &s, nil
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// write saves the set at path atomically: a reader never sees half a set.
func (s *bugSet) write(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// arenaBug rebuilds the solver's bug from its frozen form, on repo's checkout.
func (b *frozenBug) arenaBug(repo *arena.Repo) (*arena.Bug, error) {
	art, err := artifact.UnmarshalJSON("bug "+b.ID, b.Artifact)
	if err != nil {
		return nil, err
	}
	var parent *patches.Patch
	if b.Order == 2 {
		if b.ParentPrediction == "" {
			return nil, errors.New("bug " + b.ID + ": order 2 without the prediction it was made from")
		}
		if parent, err = patches.ParseBytes([]byte(b.ParentPrediction)); err != nil {
			return nil, fmt.Errorf("bug %s: parent prediction: %w", b.ID, err)
		}
	}
	return arena.NewBug(repo, b.ID, art, b.Order, parent, b.F2P, b.P2P)
}
