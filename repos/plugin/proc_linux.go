package plugin

import (
	"os/exec"
	"syscall"
)

// pluginCommand is the exec.Cmd that runs a plugin program. The plugin gets a process group of its own,
// so that stopping it takes every process it started too (a child left holding its stdout would keep
// go-plugin waiting forever), and the kernel kills it when the thread that started it dies, so that a
// host killed with SIGKILL leaves no plugin behind.
func pluginCommand(path string) *exec.Cmd {
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}
