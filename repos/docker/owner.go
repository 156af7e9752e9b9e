package docker

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Label keys on every ssr container.
const (
	LabelOwner = "ssr.owner" // "<pid>@<host>@<process start time>", see Owner
	LabelJob   = "ssr.job"   // the job that started it
	LabelRole  = "ssr.role"  // injector, solver, eval, shell, ...
	LabelKind  = "ssr.kind"  // on images: base, repo, commit
)

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
		start, err := processStart(pid)
		if err != nil {
			selfErr = fmt.Errorf("owner label: %w", err)
			return
		}
		selfOwner = Owner{PID: pid, Host: host, Start: start}
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
	st, err := readProcStat(o.PID)
	if err != nil {
		return false // no such process
	}
	if st.state == 'Z' || st.state == 'X' {
		return false // exited: a zombie, or dead and being reaped
	}
	return st.start == o.Start // a different start time means the pid was reused
}

// procStat is what the owner check reads from /proc/<pid>/stat.
type procStat struct {
	state byte   // field 3: R, S, D, Z (zombie), X (dead), ...
	start uint64 // field 22: start time in clock ticks since boot
}

// processStart reads field 22 (starttime) of /proc/<pid>/stat.
func processStart(pid int) (uint64, error) {
	st, err := readProcStat(pid)
	return st.start, err
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

// parseStatStart extracts starttime from a /proc/<pid>/stat line.
func parseStatStart(stat string) (uint64, error) {
	st, err := parseStat(stat)
	return st.start, err
}

// parseStat extracts the state and starttime from a /proc/<pid>/stat line. The command name (field 2)
// is in parentheses and may hold spaces or parentheses, so fields are counted from the last ')'.
func parseStat(stat string) (procStat, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed /proc stat line %.40q", stat)
	}
	fields := strings.Fields(stat[i+1:])
	// fields[0] is field 3 (state); starttime is field 22.
	if len(fields) < 20 || len(fields[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed /proc stat line %.40q: %d fields", stat, len(fields)+2)
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc stat line %.40q: start time: %w", stat, err)
	}
	return procStat{state: fields[0][0], start: start}, nil
}
