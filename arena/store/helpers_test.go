package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is the fixed clock of the tests; tick advances it so rows get distinct, ordered times.
var t0 = time.Date(2026, 11, 25, 17, 19, 0, 123456789, time.UTC)

type clock struct{ n atomic.Int64 }

func (c *clock) now() time.Time { return t0.Add(time.Duration(c.n.Add(1)) * time.Millisecond) }

func openTest(t testing.TB, opts ...Option) *Store {
	t.Helper()
	c := &clock{}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "job.db"), append([]Option{WithClock(c.now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// seedJob records job "job-1" with repo "r1" (and "r2").
func seedJob(t testing.TB, s *Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateJob(ctx, Job{ID: "job-1", Name: "test", Config: "n_attempts: 8\n", Owner: "1@host:0"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"r1", "r2"} {
		if err := s.PutRepo(ctx, Repo{Job: "job-1", Name: r, ImageRef: "ssr/" + r, ImageID: "sha256:" + r, Commit: "abc", Language: "python"}); err != nil {
			t.Fatal(err)
		}
	}
}

func parts(name string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"test_script":"pytest -q","test_files":["tests/test_%s.py"],"parser":"pytest","bug_inject":"--- a\n+++ b\n","test_weaken":""}`, name))
}

func turns(n int) json.RawMessage {
	var l []map[string]any
	for i := range n {
		l = append(l, map[string]any{"observation": fmt.Sprintf("obs %d", i), "action": "run", "tokens": 10 + i})
	}
	b, _ := json.Marshal(l)
	return b
}

// seedBug proposes artifact art-<id> on repo, validates it into bug <id>, in job-1.
func seedBug(t testing.TB, s *Store, id, repo string) {
	t.Helper()
	ctx := context.Background()
	art := "art-" + id
	if err := s.ProposeArtifact(ctx, Artifact{ID: art, Job: "job-1", Repo: repo, Strategy: "direct", Agent: "llm", Parts: parts(id)},
		&Episode{ID: "ep-inj-" + id, Agent: "llm", Turns: turns(2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordValidation(ctx, Validation{ArtifactID: art, Valid: true, Step: "inverse", F2P: []string{"t::a"}, P2P: []string{"t::b", "t::c"}},
		&Bug{ID: id}, nil, RawLog{Kind: LogOriginal, Output: []byte("3 passed")}); err != nil {
		t.Fatal(err)
	}
}

func attempt(bug string, i int, success bool) (Attempt, *Episode) {
	id := fmt.Sprintf("att-%s-%d", bug, i)
	r := -1.0
	pred := "--- a/x.py\n+++ b/x.py\n"
	if success {
		r = 1
	}
	return Attempt{ID: id, BugID: bug, Index: i, Prediction: pred, Success: success, Reward: r},
		&Episode{ID: "ep-" + id, Agent: "llm", Turns: turns(3)}
}

func ptr(f float64) *float64 { return &f }
