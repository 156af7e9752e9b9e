package docker

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/selfplay-swe/ssr/repos/internal/proc"
)

// Label keys on every ssr container.
const (
	LabelOwner = "ssr.owner" // "<pid>@<host>@<process start time>", see Owner
	LabelJob   = "ssr.job"   // the job that started it
	LabelRole  = "ssr.role"  // injector, solver, test, shell, ..., or RoleWarm
	LabelKind  = "ssr.kind"  // on images: base, repo, commit
)

// RoleWarm is the role label of a warm-pool container (WithWarmPool): it was made before anyone asked for
// it, and serves the first Start of any role whose configuration is otherwise the same.
const RoleWarm = "warm"

// Owner identifies a process across pid reuse: its pid, its host and its start time (in clock ticks since
// boot, field 22 of /proc/<pid>/stat).
type Owner struct {
	PID   int
	Host  string
	Start uint64
}

// ErrBadOwner is wrapped when an ssr.owner label cannot be parsed.
var ErrBadOwner = errors.New("bad owner label")

// String is the label value, "<pid>@<host>@<start>".
func (o Owner) String() string { return fmt.Sprintf("%d@%s@%d", o.PID, o.Host, o.Start) }

// ParseOwner reads an ssr.owner label value.
func ParseOwner(s string) (Owner, error) {
	parts := strings.Split(s, "@")
	if len(parts) != 3 || parts[1] == "" {
		return Owner{}, fmt.Errorf("%w %q: want <pid>@<host>@<start time>", ErrBadOwner, s)
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 {
		return Owner{}, fmt.Errorf("%w %q: pid %q is not a positive number", ErrBadOwner, s, parts[0])
	}
	start, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return Owner{}, fmt.Errorf("%w %q: start time %q is not a number", ErrBadOwner, s, parts[2])
	}
	return Owner{PID: pid, Host: parts[1], Start: start}, nil
}

var (
	selfOnce  sync.Once
	selfOwner Owner
	selfErr   error
)

// Self is the Owner of the calling process.
func Self() (Owner, error) {
	selfOnce.Do(func() {
		host, err := os.Hostname()
		if err != nil {
			selfErr = fmt.Errorf("owner label: hostname: %w", err)
			return
		}
		pid := os.Getpid()
		st, err := proc.Read(pid)
		if err != nil {
			selfErr = fmt.Errorf("owner label: %w", err)
			return
		}
		selfOwner = Owner{PID: pid, Host: host, Start: st.Start}
	})
	return selfOwner, selfErr
}

// Alive reports whether the owner process still runs on this host. A zombie (killed, but not yet
// waited for by its parent) is dead: it runs no code and will never clean up. It answers true for an
// owner on another host, which this host cannot judge.
func (o Owner) Alive(host string) bool {
	if o.Host != host {
		return true
	}
	return proc.Running(o.PID, o.Start) // a zombie is dead; a different start time means the pid was reused
}
