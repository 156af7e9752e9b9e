package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lease says which process runs a job. The holder renews it with [Store.Heartbeat] well within
// TTL; a lease whose last heartbeat is older than TTL has expired, and another owner may take it.
type Lease struct {
	Job       string
	Owner     string // the holder's owner string (the same as on its containers)
	Acquired  time.Time
	Heartbeat time.Time
	TTL       time.Duration
}

// Expired reports whether the lease's holder missed its heartbeat at now.
func (l Lease) Expired(now time.Time) bool { return now.Sub(l.Heartbeat) > l.TTL }

// LeaseError says that another owner holds a job's live lease. It wraps [ErrLeased].
type LeaseError struct {
	Path   string // database file
	Holder Lease
	Now    time.Time // when the lease was found held
}

func (e *LeaseError) Error() string {
	h := e.Holder
	return fmt.Sprintf("store: job %s is run by %s (last heartbeat %s ago, at %s; the lease lapses %s after it): stop that process, or wait for its lease to lapse if it is dead",
		h.Job, h.Owner, e.Now.Sub(h.Heartbeat).Round(time.Second), h.Heartbeat.UTC().Format(time.RFC3339), h.TTL)
}

func (e *LeaseError) Unwrap() error { return ErrLeased }

// AcquireLease makes owner the one process that runs job, for ttl after each heartbeat. It
// succeeds when nobody holds the job, when owner already holds it (renewing it), or when the
// holder's lease has expired (taking it over); otherwise it fails with a [*LeaseError] wrapping
// [ErrLeased] that names the holder and its last heartbeat. The job need not exist yet.
func (s *Store) AcquireLease(ctx context.Context, job, owner string, ttl time.Duration) error {
	return s.acquireLease(ctx, job, owner, "", ttl)
}

// TakeLease is [Store.AcquireLease] that also takes the lease from dead, a holder the caller knows to
// be dead (a process on this host that is gone), without waiting for its lease to expire. If the
// lease has meanwhile passed to another live holder, it fails with a [*LeaseError] naming that one.
func (s *Store) TakeLease(ctx context.Context, job, owner, dead string, ttl time.Duration) error {
	if dead == "" {
		return fmt.Errorf("store: take lease on job %q for %q: %w: name the dead holder", job, owner, ErrInvalid)
	}
	return s.acquireLease(ctx, job, owner, dead, ttl)
}

func (s *Store) acquireLease(ctx context.Context, job, owner, dead string, ttl time.Duration) error {
	if job == "" || owner == "" || ttl <= 0 {
		return fmt.Errorf("store: acquire lease on job %q for %q: %w: want a job, an owner and a positive ttl (got %v)", job, owner, ErrInvalid, ttl)
	}
	op := "acquire lease on job " + job
	return s.write(ctx, op, func(tx *sql.Tx) error {
		now := s.now()
		held, err := leaseTx(ctx, tx, job)
		switch {
		case errors.Is(err, ErrNotFound):
			_, err := execTx(ctx, tx, op, `INSERT INTO leases (job, owner, acquired, heartbeat, ttl_ns) VALUES (?, ?, ?, ?, ?)`,
				job, owner, formatTime(now), formatTime(now), int64(ttl))
			return err
		case err != nil:
			return fmt.Errorf("store: %s: %w", op, err)
		case held.Owner != owner && held.Owner != dead && !held.Expired(now):
			return &LeaseError{Path: s.path, Holder: held, Now: now}
		}
		acquired := held.Acquired
		if held.Owner != owner {
			acquired = now
		}
		_, err = execTx(ctx, tx, op, `UPDATE leases SET owner = ?, acquired = ?, heartbeat = ?, ttl_ns = ? WHERE job = ?`,
			owner, formatTime(acquired), formatTime(now), int64(ttl), job)
		return err
	})
}

// Heartbeat renews owner's lease on job. It fails with a [*LeaseError] when another owner has
// taken the lease over (the caller has lost the job and should stop), and with [ErrNotFound] when
// nobody holds it. A holder whose lease expired but was not taken keeps it.
func (s *Store) Heartbeat(ctx context.Context, job, owner string) error {
	op := "heartbeat on job " + job
	return s.write(ctx, op, func(tx *sql.Tx) error {
		now := s.now()
		held, err := leaseTx(ctx, tx, job)
		switch {
		case errors.Is(err, ErrNotFound):
			return fmt.Errorf("store: %s by %s: %w: no lease is held: acquire it first", op, owner, ErrNotFound)
		case err != nil:
			return fmt.Errorf("store: %s: %w", op, err)
		case held.Owner != owner:
			return &LeaseError{Path: s.path, Holder: held, Now: now}
		}
		_, err = execTx(ctx, tx, op, `UPDATE leases SET heartbeat = ? WHERE job = ? AND owner = ?`, formatTime(now), job, owner)
		return err
	})
}

// ReleaseLease gives up owner's lease on job. Releasing a lease that owner does not hold (never
// taken, already released, or taken over) does nothing.
func (s *Store) ReleaseLease(ctx context.Context, job, owner string) error {
	op := "release lease on job " + job
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := execTx(ctx, tx, op, `DELETE FROM leases WHERE job = ? AND owner = ?`, job, owner)
		return err
	})
}

// GetLease returns the lease on job, or an error wrapping [ErrNotFound] when nobody holds it.
func (s *Store) GetLease(ctx context.Context, job string) (Lease, error) {
	var l Lease
	err := s.read(ctx, "lease of job "+job, func(tx *sql.Tx) error {
		var err error
		l, err = leaseTx(ctx, tx, job)
		return err
	})
	if err != nil {
		return l, fmt.Errorf("store: lease of job %s: %w", job, err)
	}
	return l, nil
}

// OwnerLapsed reports whether owner has lost job by the store's account: another owner holds the
// job's lease, or owner's own lease on it has expired. With no lease on the job the store cannot
// tell, and it answers false. The container reaper uses it to judge owners it cannot see (a
// process on another host, or a stuck one).
func (s *Store) OwnerLapsed(ctx context.Context, job, owner string) (bool, error) {
	l, err := s.GetLease(ctx, job)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return l.Owner != owner || l.Expired(s.now()), nil
}

func leaseTx(ctx context.Context, tx *sql.Tx, job string) (Lease, error) {
	l := Lease{Job: job}
	var acquired, heartbeat string
	var ttl int64
	err := tx.QueryRowContext(ctx, `SELECT owner, acquired, heartbeat, ttl_ns FROM leases WHERE job = ?`, job).
		Scan(&l.Owner, &acquired, &heartbeat, &ttl)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrNotFound
	}
	if err != nil {
		return l, err
	}
	l.TTL = time.Duration(ttl)
	var err1, err2 error
	l.Acquired, err1 = parseTime(acquired)
	l.Heartbeat, err2 = parseTime(heartbeat)
	return l, errors.Join(err1, err2)
}
