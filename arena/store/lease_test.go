package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/conc/pool"
)

// manualClock is a clock the test moves by hand, so that lease expiry needs no sleeping.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLease(t *testing.T) {
	const ttl = 30 * time.Second
	type step struct {
		op      string // acquire, heartbeat, release, advance
		owner   string
		d       time.Duration
		wantErr error
		holder  string // the holder named by a LeaseError, or the holder after the step
		dead    string // take: the holder known to be dead
	}
	tests := map[string][]step{
		"free job is taken": {
			{op: "acquire", owner: "A", holder: "A"},
		},
		"second owner refused while the holder heartbeats": {
			{op: "acquire", owner: "A"},
			{op: "advance", d: 20 * time.Second},
			{op: "heartbeat", owner: "A"},
			{op: "advance", d: 20 * time.Second},
			{op: "acquire", owner: "B", wantErr: ErrLeased, holder: "A"},
		},
		"holder re-acquires": {
			{op: "acquire", owner: "A"},
			{op: "acquire", owner: "A", holder: "A"},
		},
		"expired lease is taken over": {
			{op: "acquire", owner: "A"},
			{op: "advance", d: ttl + time.Second},
			{op: "acquire", owner: "B", holder: "B"},
			{op: "heartbeat", owner: "A", wantErr: ErrLeased, holder: "B"},
			{op: "release", owner: "A", holder: "B"}, // a lost lease is not released by its old holder
		},
		"lease at exactly ttl is still held": {
			{op: "acquire", owner: "A"},
			{op: "advance", d: ttl},
			{op: "acquire", owner: "B", wantErr: ErrLeased, holder: "A"},
		},
		"expired but not taken: the holder keeps it": {
			{op: "acquire", owner: "A"},
			{op: "advance", d: 2 * ttl},
			{op: "heartbeat", owner: "A", holder: "A"},
			{op: "acquire", owner: "B", wantErr: ErrLeased, holder: "A"},
		},
		"released lease is free": {
			{op: "acquire", owner: "A"},
			{op: "release", owner: "A"},
			{op: "release", owner: "A"},
			{op: "acquire", owner: "B", holder: "B"},
		},
		"a dead holder's lease is taken at once": {
			{op: "acquire", owner: "A"},
			{op: "take", owner: "B", dead: "A", holder: "B"},
			{op: "heartbeat", owner: "A", wantErr: ErrLeased, holder: "B"},
		},
		"taking from a dead holder that already lost the lease to a live one": {
			{op: "acquire", owner: "A"},
			{op: "take", owner: "B", dead: "A", holder: "B"},
			{op: "take", owner: "C", dead: "A", wantErr: ErrLeased, holder: "B"},
		},
		"heartbeat without a lease": {
			{op: "heartbeat", owner: "A", wantErr: ErrNotFound},
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			c := &manualClock{t: t0}
			s := openTest(t, WithClock(c.now))
			ctx := context.Background()
			for i, st := range steps {
				var err error
				switch st.op {
				case "acquire":
					err = s.AcquireLease(ctx, "job-1", st.owner, ttl)
				case "take":
					err = s.TakeLease(ctx, "job-1", st.owner, st.dead, ttl)
				case "heartbeat":
					err = s.Heartbeat(ctx, "job-1", st.owner)
				case "release":
					err = s.ReleaseLease(ctx, "job-1", st.owner)
				case "advance":
					c.advance(st.d)
				}
				if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
					t.Fatalf("step %d %s %s: err = %v, want %v", i, st.op, st.owner, err, st.wantErr)
				}
				var le *LeaseError
				if errors.As(err, &le) {
					if le.Holder.Owner != st.holder || le.Holder.Heartbeat.IsZero() {
						t.Errorf("step %d: LeaseError holder %+v, want %s with a heartbeat", i, le.Holder, st.holder)
					}
					if !strings.Contains(err.Error(), "job job-1 is run by "+st.holder) {
						t.Errorf("step %d: message %q does not name the holder", i, err)
					}
				} else if st.holder != "" {
					l, err := s.GetLease(ctx, "job-1")
					if err != nil || l.Owner != st.holder {
						t.Errorf("step %d: lease %+v, %v; want held by %s", i, l, err, st.holder)
					}
				}
			}
		})
	}
}

func TestOwnerLapsed(t *testing.T) {
	c := &manualClock{t: t0}
	s := openTest(t, WithClock(c.now))
	ctx := context.Background()
	check := func(owner string, want bool) {
		t.Helper()
		if got, err := s.OwnerLapsed(ctx, "job-1", owner); err != nil || got != want {
			t.Errorf("OwnerLapsed(%s) = %v, %v; want %v", owner, got, err, want)
		}
	}
	check("A", false) // no lease: the store cannot tell
	if err := s.AcquireLease(ctx, "job-1", "A", time.Minute); err != nil {
		t.Fatal(err)
	}
	check("A", false)
	check("B", true) // B's containers of job-1 belong to a process that lost the job
	c.advance(2 * time.Minute)
	check("A", true)
}

// TestLeaseTwoHandles races two Store handles on one file (two processes, as far as SQLite can
// tell) for one job, many times: exactly one wins each round and the other is told who holds it.
func TestLeaseTwoHandles(t *testing.T) {
	db := filepath.Join(t.TempDir(), "job.db")
	ctx := context.Background()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, db, WithBusyTimeout(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	const rounds = 30
	for r := range rounds {
		job := fmt.Sprintf("job-%d", r)
		var won atomic.Int32
		var loser atomic.Value
		p := pool.New().WithErrors()
		for i, s := range stores {
			owner := fmt.Sprintf("owner-%d", i)
			p.Go(func() error {
				err := s.AcquireLease(ctx, job, owner, time.Minute)
				var le *LeaseError
				switch {
				case err == nil:
					won.Add(1)
				case errors.As(err, &le):
					loser.Store(le.Holder.Owner)
				default:
					return err
				}
				return nil
			})
		}
		if err := p.Wait(); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		l, err := stores[0].GetLease(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if won.Load() != 1 || loser.Load() != l.Owner {
			t.Fatalf("round %d: %d winners, loser told %v, lease held by %s", r, won.Load(), loser.Load(), l.Owner)
		}
	}
}
