package plugin

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/selfplay-swe/ssr/repos/internal/proc"
)

// Reap kills what the plugins of a dead host left running: a host killed with SIGKILL takes its plugins
// with it (their parent-death signal), but not the processes those plugins started, which live on as
// orphans. It runs when ssr starts (see cmd/ssr), and returns how many processes it killed.
//
// A process is a leftover when its environment names, in hostEnv, a host that no longer runs (gone, a
// zombie, or its pid now another process's, told apart by start time) and it started after that host.
// Only one's own processes' environments can be read, so only they are ever judged. A leftover's whole
// process group (the plugin's, which its children share) is killed too, when the group's leader is a
// leftover or gone, and the group is not this process's: while a member lives its group id cannot be
// reused, so the group is still the plugin's. Each leftover is signalled through a pidfd opened before its
// identity is checked a last time, so a pid reused in between is never hit.
func Reap() (int, error) {
	pids, err := proc.PIDs()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil // no /proc to look in
		}
		return 0, fmt.Errorf("reap plugin leftovers: %w", err)
	}
	self := os.Getpid()
	left := map[int]proc.Stat{}
	for _, pid := range pids {
		if pid == self {
			continue
		}
		if st, ok := leftover(pid); ok {
			left[pid] = st
		}
	}
	own := syscall.Getpgrp()
	groups := map[int]bool{}
	for _, st := range left {
		g := st.PGID
		if g <= 1 || g == own || groups[g] {
			continue
		}
		if _, leaderLeft := left[g]; leaderLeft || !leaderRuns(g) {
			groups[g] = true
			_ = syscall.Kill(-g, syscall.SIGKILL)
		}
	}
	for pid, st := range left {
		signal(pid, st)
	}
	return len(left), nil
}

// leftover reports whether pid is a running process left by a dead host's plugin, and its stat.
func leftover(pid int) (proc.Stat, bool) {
	v, ok := proc.Env(pid, hostEnv)
	if !ok {
		return proc.Stat{}, false
	}
	hostPID, hostStart, ok := parseMark(v)
	if !ok || proc.Running(hostPID, hostStart) {
		return proc.Stat{}, false
	}
	st, err := proc.Read(pid)
	if err != nil || st.Exited() || st.Start < hostStart {
		return proc.Stat{}, false // gone, or older than the host it names: not its descendant
	}
	return st, true
}

// leaderRuns reports whether a process with the group's id runs (the group's leader).
func leaderRuns(pgid int) bool {
	st, err := proc.Read(pgid)
	return err == nil && !st.Exited()
}

// signal sends SIGKILL to pid if it is still the process st describes: through a pidfd, which stays bound
// to the process it was opened for, checked after it is opened.
func signal(pid int, st proc.Stat) {
	same := func() bool {
		now, err := proc.Read(pid)
		return err == nil && now.Start == st.Start && !now.Exited()
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		// A kernel without pidfds (before 5.3): check, then kill, with the small race that implies.
		if same() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		return
	}
	if err != nil {
		return // gone
	}
	defer unix.Close(fd)
	if same() {
		_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}
