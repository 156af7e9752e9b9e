package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/docker"
)

// leaseTTL is how long a job's lease outlives its holder's last heartbeat: a holder that dies on another
// host (which this one cannot see) blocks its job this long. A dead holder on this host is seen at once.
const leaseTTL = 30 * time.Second

// errLeaseLost ends a job whose lease another process took over (this one missed its heartbeats for
// longer than the ttl): the job is that process's now, so this one records nothing more, not even stopped.
var errLeaseLost = errors.New("lost the job's lease")

// jobLease is a held lease on a job, renewed every ttl/3 until release.
type jobLease struct {
	st    *store.Store
	job   string
	owner string
	stop  chan struct{}
	wg    conc.WaitGroup
}

// holdLease makes self the one process that runs job, taking the lease at once from a holder that is
// dead on this host (killed, a zombie, or its pid reused). It returns a context that ends, with cause
// errLeaseLost, when another process takes the lease over. Another live holder is one line naming it.
func holdLease(ctx context.Context, st *store.Store, job string, self docker.Owner, out io.Writer) (*jobLease, context.Context, error) {
	owner := self.String()
	err := st.AcquireLease(ctx, job, owner, leaseTTL)
	var le *store.LeaseError
	if errors.As(err, &le) {
		if holder, perr := docker.ParseOwner(le.Holder.Owner); perr == nil && !holder.Alive(self.Host) {
			err = st.TakeLease(ctx, job, owner, le.Holder.Owner, leaseTTL)
			if err == nil { // said only once it is so: a process that loses the race prints the refusal alone
				fmt.Fprintf(out, "job %s: its last process (%d on %s) is gone: taking the job over\n", job, holder.PID, holder.Host)
			}
		}
	}
	if errors.As(err, &le) {
		return nil, nil, leaseHeldError{le}
	}
	if err != nil {
		return nil, nil, err
	}
	l := &jobLease{st: st, job: job, owner: owner, stop: make(chan struct{})}
	jobCtx, cancel := context.WithCancelCause(ctx)
	l.wg.Go(func() { l.heartbeat(jobCtx, cancel, out) })
	return l, jobCtx, nil
}

func (l *jobLease) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, out io.Writer) {
	tick := time.NewTicker(leaseTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := l.st.Heartbeat(ctx, l.job, l.owner)
		var le *store.LeaseError
		switch {
		case errors.As(err, &le):
			cancel(fmt.Errorf("%w: %s took it over (this process missed its heartbeats)", errLeaseLost, le.Holder.Owner))
			return
		case err != nil && ctx.Err() == nil:
			// The store retries busy writes itself; anything else may pass. Should it not, and the lease
			// lapse and be taken, the next heartbeat says so.
			fmt.Fprintf(out, "job %s: lease heartbeat failed, trying again in %s: %v\n", l.job, leaseTTL/3, err)
		}
	}
}

// release stops the heartbeat and gives the lease up (unless it was lost: then it is not ours to give).
func (l *jobLease) release() {
	close(l.stop)
	l.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.st.ReleaseLease(ctx, l.job, l.owner)
}

// leaseHeldError is the one line a second process on a job prints; it unwraps to the store's
// *LeaseError (and so to store.ErrLeased).
type leaseHeldError struct{ *store.LeaseError }

func (e leaseHeldError) Error() string {
	h := e.Holder
	who := h.Owner
	if o, err := docker.ParseOwner(h.Owner); err == nil {
		who = fmt.Sprintf("process %d on %s", o.PID, o.Host)
	}
	return fmt.Sprintf("job %s is already running in %s (last heartbeat %s ago): stop that process first, or if it died on another host, wait %s for its lease to lapse",
		h.Job, who, e.Now.Sub(h.Heartbeat).Round(time.Second), h.TTL)
}

func (e leaseHeldError) Unwrap() error { return e.LeaseError }
