package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena/store"
)

// The original files of the synthetic job's repository: the synthetic artifact's diffs apply to them.
var synthTree = map[string][]byte{
	"ring/ring.go":      []byte("func (b *Buffer[T]) Len() int { return b.size }\n"),
	"ring/ring_test.go": []byte("func TestA(t *testing.T) {}\nfunc TestPeek(t *testing.T) {}\n"),
}

// synthO2Pred is the failed prediction an order-2 bug of the export job is made from: it applies to the
// first-order bug's state and leaves the bug in place.
const synthO2Pred = "--- a/ring/ring.go\n+++ b/ring/ring.go\n@@ -1,1 +1,2 @@\n func (b *Buffer[T]) Len() int { return b.size + 1 }\n+// Cap is not implemented.\n"

// makeExportJob is the synthetic job of six artifacts (bugs 0, 1, 3 and 4 valid; strategies alternate
// mutation, removal; even bugs solve rate 0.5, odd 0) with its repository recorded and one order-2 bug,
// bug-o2, made from bug-0001's failed attempt 0 with synthO2Pred.
func makeExportJob(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "job.db")
	if err := makeSynthJob(ctx, path, 6); err != nil {
		t.Fatal(err)
	}
	// An order-2 bug needs a failed attempt whose prediction leaves an F2P test failing; bug-0001's are failed.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `UPDATE attempts SET prediction = ? WHERE id = 'att-0001-0'`, synthO2Pred)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, path, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutRepo(ctx, store.Repo{Job: synthJob, Name: "gokit", ImageRef: "ssr-repo:gokit-1", ImageID: "sha256:abc", Commit: "c0ffee", Language: "go"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ProposeArtifact(ctx, store.Artifact{ID: "art-o2", Job: synthJob, Repo: "gokit", Strategy: "removal", Order: 2, ParentBug: "bug-0001",
		ParentAttempt: "att-0001-0", PolicyVersion: 3, Agent: "native", Parts: synthArtifact()}, nil); err != nil {
		t.Fatal(err)
	}
	f2p, p2p := []string{"example.com/gokit/ring::TestPeek"}, []string{"example.com/gokit/ring::TestA"}
	if err := st.RecordValidation(ctx, store.Validation{ArtifactID: "art-o2", Valid: true, Step: "order2", F2P: f2p, P2P: p2p},
		&store.Bug{ID: "bug-o2", F2P: f2p, P2P: p2p}, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestNewExportFilter(t *testing.T) {
	tests := map[string]struct {
		rate    string
		order   int
		wantErr string
		min     *float64
	}{
		"none":            {},
		"band":            {rate: "0.25:0.75", min: ptr(0.25)},
		"order 2":         {order: 2},
		"_error_order":    {order: 3, wantErr: "--order 3: want 1 or 2"},
		"_error_bad_band": {rate: "x:1", wantErr: `--solve-rate "x:1": want MIN:MAX`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := newExportFilter(tc.rate, tc.order, "", "")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (f.MinSolveRate == nil) != (tc.min == nil) || (tc.min != nil && *f.MinSolveRate != *tc.min) {
				t.Errorf("MinSolveRate = %v, want %v", f.MinSolveRate, tc.min)
			}
		})
	}
}
