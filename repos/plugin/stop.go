package plugin

import (
	"os/exec"
	"syscall"
	"time"
)

// How long stopping a plugin may take: a graceful exit first, then SIGKILL to its whole process group,
// then a last wait for go-plugin to notice. go-plugin's Client.Kill waits until the plugin's stdout and
// stderr are closed, which a leftover child of the plugin can put off forever: past these bounds the
// host stops waiting.
var (
	stopGrace = 3 * time.Second
	stopWait  = 2 * time.Second
)

// kill stops the process within stopGrace+stopWait: gracefully when graceful (a shutdown), at once
// otherwise (a crashed, hung or half-started plugin). Every process in the plugin's group is killed.
func (p *process) kill(graceful bool) {
	done := make(chan struct{})
	// A bare goroutine on purpose: go-plugin's Kill may never return (see above), and nothing may wait
	// for it past the bounds; it ends by itself once the pipes close.
	go func() {
		defer close(done)
		p.gp.Kill()
	}()
	if graceful {
		select {
		case <-done:
			killGroup(p.cmd) // the plugin is gone; anything it left in its group goes too
			return
		case <-time.After(stopGrace):
		}
	}
	killGroup(p.cmd)
	select {
	case <-done:
	case <-time.After(stopWait):
	}
}

// killGroup sends SIGKILL to the process group of cmd's process (its own, see pluginCommand).
func killGroup(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
