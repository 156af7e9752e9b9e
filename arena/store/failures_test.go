package store

import (
	"context"
	"errors"
	"testing"
)

func TestFailures(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	seedJob(t, s)
	for _, u := range []string{"injector on a", "attempt 1 on bug-x"} {
		if err := s.RecordFailure(ctx, Failure{Job: "job-1", Unit: u, Error: "plugin ssr-lang-x crashed"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Failures(ctx, "job-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Unit != "injector on a" || got[1].Error != "plugin ssr-lang-x crashed" || got[0].Created.IsZero() {
		t.Fatalf("failures = %+v", got)
	}
	if one, _ := s.Failures(ctx, "job-1", 1); len(one) != 1 {
		t.Fatalf("limit 1 gave %d", len(one))
	}
	if err := s.RecordFailure(ctx, Failure{Job: "job-1"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a failure without a unit: %v", err)
	}
	if err := s.RecordFailure(ctx, Failure{Job: "no-such-job", Unit: "x"}); err == nil {
		t.Fatal("a failure of an unknown job must be refused (foreign key)")
	}
}
