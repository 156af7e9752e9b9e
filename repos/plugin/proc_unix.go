//go:build unix && !linux

package plugin

import (
	"os/exec"
	"syscall"
)

// pluginCommand is the exec.Cmd that runs a plugin program, in a process group of its own so that
// stopping it takes every process it started. (Only Linux has a parent-death signal.)
func pluginCommand(path string) *exec.Cmd {
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}
