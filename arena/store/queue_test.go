package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestDuplicateAttemptWritesNothing(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	seedBug(t, s, "b1", "r1")
	ctx := context.Background()
	a, e := attempt("b1", 3, false)
	if err := s.RecordAttempt(ctx, a, e, RawLog{Kind: LogEval, Output: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	// A resumed job re-running index 3 under fresh ids must not record it again.
	a.ID, e.ID = "att-again", "ep-again"
	err := s.RecordAttempt(ctx, a, e, RawLog{Kind: LogEval, Output: []byte("y")})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate attempt = %v, want ErrDuplicate", err)
	}
	if _, err := s.GetEpisode(ctx, "ep-again"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the duplicate's episode was written: %v", err)
	}
	if logs, _ := s.LogsByRef(ctx, "att-again"); len(logs) != 0 {
		t.Errorf("the duplicate's log was written")
	}
	c, _ := s.Counts(ctx, "job-1")
	if c.Attempts != 1 || c.Roles[RoleSolver].Episodes != 1 {
		t.Errorf("counts after duplicate: %+v", c)
	}
	// Same for a second validation, a second proposal and a second finish.
	if err := s.RecordValidation(ctx, Validation{ArtifactID: "art-b1"}, nil, nil); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second validation = %v, want ErrDuplicate", err)
	}
	if err := s.ProposeArtifact(ctx, Artifact{ID: "art-b1", Job: "job-1", Repo: "r1", Parts: parts("x")}, nil); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second proposal = %v, want ErrDuplicate", err)
	}
	if err := s.FinishBug(ctx, "b1", -0.8, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishBug(ctx, "b1", -0.8, 0); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second finish = %v, want ErrDuplicate", err)
	}
	a.ID, e.ID, a.Index = "att-late", "ep-late", 4
	if err := s.RecordAttempt(ctx, a, e); !errors.Is(err, ErrInvalid) {
		t.Errorf("attempt on a finished bug = %v, want ErrInvalid", err)
	}
}

func TestResumeQueries(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	const n = 4

	// b1: all 4 attempts, one success; b2: attempts 0 and 2; b3: none; b4: finished.
	for _, b := range []string{"b1", "b2", "b3", "b4"} {
		seedBug(t, s, b, "r1")
	}
	record := func(bug string, i int, ok bool) {
		t.Helper()
		a, e := attempt(bug, i, ok)
		if err := s.RecordAttempt(ctx, a, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		record("b1", i, i == 1)
		record("b4", i, true)
	}
	record("b2", 0, false)
	record("b2", 2, false)
	if err := s.FinishBug(ctx, "b4", -0.8, 1); err != nil {
		t.Fatal(err)
	}
	// A proposal not yet validated, and a rejected one.
	if err := s.ProposeArtifact(ctx, Artifact{ID: "art-p", Job: "job-1", Repo: "r2", Parts: parts("p")}, &Episode{ID: "ep-p", Turns: turns(1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.ProposeArtifact(ctx, Artifact{ID: "art-r", Job: "job-1", Repo: "r2", Parts: parts("r")}, &Episode{ID: "ep-r", Turns: turns(1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordValidation(ctx, Validation{ArtifactID: "art-r", Reason: "bug run: no test fails", Step: "bug"}, nil,
		&Episode{ID: "ep-r", Reward: ptr(-1)}, RawLog{Kind: LogBug, Output: []byte("all passed")}); err != nil {
		t.Fatal(err)
	}
	// The reward-only episode updated the stored one and kept its turns.
	if e, err := s.GetEpisode(ctx, "ep-r"); err != nil || e.NTurns != 1 || string(e.Turns) != string(turns(1)) ||
		e.Reward == nil || *e.Reward != -1 || e.Agent != "" || e.Role != RoleInjector || e.ArtifactID != "art-r" {
		t.Errorf("merged injector episode %+v, %v", e, err)
	}

	pending, err := s.PendingArtifacts(ctx, "job-1")
	if err != nil || len(pending) != 1 || pending[0].ID != "art-p" {
		t.Errorf("PendingArtifacts = %v, %v", pending, err)
	}

	needs, err := s.BugsNeedingAttempts(ctx, "job-1", n)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int{}
	for _, x := range needs {
		got[x.Bug.ID] = x.Missing
	}
	want := map[string][]int{"b2": {1, 3}, "b3": {0, 1, 2, 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BugsNeedingAttempts = %v, want %v", got, want)
	}
	toFinish, err := s.BugsToFinish(ctx, "job-1", n)
	if err != nil || len(toFinish) != 1 || toFinish[0].ID != "b1" {
		t.Errorf("BugsToFinish = %v, %v", toFinish, err)
	}

	// Order-2 candidates: b1's three failed attempts (b4's all succeeded, b2's two failed too).
	cands, err := s.Order2Candidates(ctx, "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 5 {
		t.Fatalf("Order2Candidates = %d, want 5", len(cands))
	}
	c0 := cands[0]
	if c0.Bug.ID != c0.Attempt.BugID || c0.Attempt.Success || c0.Attempt.Prediction == "" || c0.Bug.Order != 1 {
		t.Errorf("candidate %+v", c0)
	}
	// Building an order-2 artifact from one consumes it, and the order-2 bug is never a candidate.
	if err := s.ProposeArtifact(ctx, Artifact{ID: "art-o2", Job: "job-1", Repo: "r1", Order: 2, ParentBug: c0.Bug.ID,
		ParentAttempt: c0.Attempt.ID, Parts: parts("o2")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordValidation(ctx, Validation{ArtifactID: "art-o2", Valid: true, F2P: []string{"t::a"}}, &Bug{ID: "b-o2"}, nil); err != nil {
		t.Fatal(err)
	}
	o2, _ := s.GetBug(ctx, "b-o2")
	if o2.Order != 2 || o2.ParentBug != c0.Bug.ID || o2.ParentAttempt != c0.Attempt.ID || o2.P2P != nil {
		t.Errorf("order-2 bug %+v", o2)
	}
	a, e := attempt("b-o2", 0, false)
	if err := s.RecordAttempt(ctx, a, e); err != nil {
		t.Fatal(err)
	}
	cands, _ = s.Order2Candidates(ctx, "job-1")
	if len(cands) != 4 {
		t.Errorf("after consuming one: %d candidates, want 4", len(cands))
	}
	for _, c := range cands {
		if c.Attempt.ID == c0.Attempt.ID || c.Bug.ID == "b-o2" {
			t.Errorf("candidate %s should be gone", c.Attempt.ID)
		}
	}

	cnt, err := s.Counts(ctx, "job-1")
	if err != nil {
		t.Fatal(err)
	}
	wantCnt := Counts{Artifacts: 7, Pending: 1, Valid: 5, Rejected: 1, Bugs: 5, Order2: 1, BugsDone: 1, Attempts: 11, Solved: 5,
		Roles: map[Role]RoleCounts{
			// six injector episodes: b1..b4, art-p, art-r; rewarded: b4 (-0.8) and art-r (-1).
			RoleInjector: {Episodes: 6, Rewarded: 2, MeanReward: -0.9},
			// eleven solver episodes, five +1 and six -1.
			RoleSolver: {Episodes: 11, Rewarded: 11, MeanReward: -1.0 / 11},
		}}
	if !reflect.DeepEqual(cnt, wantCnt) {
		t.Errorf("Counts =\n%+v\nwant\n%+v", cnt, wantCnt)
	}

	groups, err := s.RewardGroups(ctx, "job-1", RoleSolver)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for _, g := range groups {
		sizes[g.Key] = len(g.Members)
	}
	if want := map[string]int{"bug:b1": 4, "bug:b2": 2, "bug:b4": 4, "bug:b-o2": 1}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("solver groups %v, want %v", sizes, want)
	}
	inj, _ := s.RewardGroups(ctx, "job-1", RoleInjector)
	if len(inj) != 2 || inj[0].Key != "repo:r1" || len(inj[0].Members) != 1 || inj[1].Key != "repo:r2" || inj[1].Members[0].Reward != -1 {
		t.Errorf("injector groups %+v", inj)
	}

	for name, c := range map[string]struct {
		f    EpisodeFilter
		want int
	}{
		"all":           {EpisodeFilter{}, 17},
		"solver":        {EpisodeFilter{Role: RoleSolver}, 11},
		"repo r2":       {EpisodeFilter{Repo: "r2"}, 2},
		"bug b2":        {EpisodeFilter{BugID: "b2"}, 2},
		"artifact":      {EpisodeFilter{ArtifactID: "art-r"}, 1},
		"page":          {EpisodeFilter{Limit: 5, Offset: 15}, 2},
		"injector page": {EpisodeFilter{Role: RoleInjector, Limit: 2}, 2},
	} {
		eps, err := s.ListEpisodes(ctx, "job-1", c.f)
		if err != nil || len(eps) != c.want {
			t.Errorf("ListEpisodes %s: %d, %v; want %d", name, len(eps), err, c.want)
		}
	}
}
