// Package proc reads what ssr needs to know of a process from Linux's /proc: its state, its process
// group, its start time (with the pid, what identifies a process across pid reuse) and its environment.
// The container reaper judges sandbox owners with it, the plugin reaper the plugins of dead hosts.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is what ssr reads of /proc/<pid>/stat.
type Stat struct {
	State byte   // field 3: R, S, D, Z (zombie), X (dead), ...
	PGID  int    // field 5: the process group
	Start uint64 // field 22: start time in clock ticks since boot
}

// Exited reports whether the process has ended: a zombie (not yet waited for by its parent, it runs no
// code and will never clean up) or dead and being reaped.
func (s Stat) Exited() bool { return s.State == 'Z' || s.State == 'X' }

// Read reads /proc/<pid>/stat; an error means there is no such process (or no /proc).
func Read(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	return Parse(string(b))
}

// Parse reads a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may hold spaces or
// parentheses, so fields are counted from the last ')'.
func Parse(stat string) (Stat, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("malformed /proc stat line %.40q", stat)
	}
	fields := strings.Fields(stat[i+1:])
	// fields[0] is field 3 (state); the process group is field 5, the start time field 22.
	if len(fields) < 20 || len(fields[0]) != 1 {
		return Stat{}, fmt.Errorf("malformed /proc stat line %.40q: %d fields", stat, len(fields)+2)
	}
	pgid, err := strconv.Atoi(fields[2])
	if err != nil {
		return Stat{}, fmt.Errorf("malformed /proc stat line %.40q: process group: %w", stat, err)
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return Stat{}, fmt.Errorf("malformed /proc stat line %.40q: start time: %w", stat, err)
	}
	return Stat{State: fields[0][0], PGID: pgid, Start: start}, nil
}

// Running reports whether pid is a process that started at start and has not exited: false once it has
// ended, and false when the pid now names another process.
func Running(pid int, start uint64) bool {
	st, err := Read(pid)
	return err == nil && !st.Exited() && st.Start == start
}

// Env returns the value of key in the environment that pid was started with (/proc/<pid>/environ, readable
// for one's own processes only); ok is false when the process has no such variable or cannot be read.
// When the key is given twice, the first wins, as getenv(3) does.
func Env(pid int, key string) (value string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return "", false
	}
	prefix := []byte(key + "=")
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, found := bytes.CutPrefix(kv, prefix); found {
			return string(v), true
		}
	}
	return "", false
}

// PIDs lists the processes that /proc shows.
func PIDs() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
