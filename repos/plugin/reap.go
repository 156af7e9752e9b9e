package plugin

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/selfplay-swe/ssr/repos/internal/proc"
)

// hostEnv is set in the environment of every plugin process, and so inherited by the processes it starts:
// it names the host process that started the plugin, "<pid>:<start time>" (proc.Stat.Start), which
// identifies that process across pid reuse. Reap finds a dead host's leftovers by it.
const hostEnv = "SSR_PLUGIN_HOST"

var (
	markOnce sync.Once
	markVal  string
	markErr  error
)

// hostMark is this process's value of hostEnv.
func hostMark() (string, error) {
	markOnce.Do(func() {
		pid := os.Getpid()
		st, err := proc.Read(pid)
		if err != nil {
			markErr = fmt.Errorf("plugin host: %w", err)
			return
		}
		markVal = fmt.Sprintf("%d:%d", pid, st.Start)
	})
	return markVal, markErr
}

// parseMark reads a hostEnv value.
func parseMark(v string) (pid int, start uint64, ok bool) {
	p, s, found := strings.Cut(v, ":")
	if !found {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(p)
	start, err2 := strconv.ParseUint(s, 10, 64)
	return pid, start, err1 == nil && err2 == nil && pid > 0
}

// pluginEnv is the environment a plugin process starts with: the host's own (without a hostEnv it
// inherited, from an ssr that started this one), then this host's mark.
func pluginEnv() []string {
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, hostEnv+"=") {
			env = append(env, kv)
		}
	}
	if mark, err := hostMark(); err == nil {
		env = append(env, hostEnv+"="+mark)
	}
	return env
}
