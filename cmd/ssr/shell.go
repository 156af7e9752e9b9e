package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// ssr shell: an interactive shell in a hardened sandbox container, removed on exit.

var shellFlags struct {
	workdir string
	user    string
	env     []string
}

var shellCmd = &cobra.Command{
	Use:   "shell IMAGE [--workdir DIR] [--user U] [--env K=V]...",
	Short: "Open an interactive shell in a fresh sandbox (removed on exit)",
	Long: "Start a container from IMAGE with a sandbox's hardening (no network, no capabilities, limits)\n" +
		"and a terminal, and attach to a shell in it (bash when the image has it). The container is\n" +
		"removed when the shell exits; ssr exits with the shell's status.",
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		spec := sandbox.Spec{Image: args[0], Workdir: shellFlags.workdir, User: shellFlags.user, Env: shellFlags.env, Job: "cli", Role: "shell"}
		if err := spec.Validate(); err != nil {
			return usageError{err}
		}
		cli, err := docker.Connect(ctx)
		if err != nil {
			return err
		}
		defer cli.Close()

		sio := docker.ShellIO{In: os.Stdin, Out: os.Stdout}
		if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
			sio.TTY = true
			old, err := term.MakeRaw(fd)
			if err != nil {
				return fmt.Errorf("shell: raw terminal: %w", err)
			}
			defer term.Restore(fd, old)
			size := func() docker.TermSize {
				w, h, err := term.GetSize(int(os.Stdout.Fd()))
				if err != nil {
					return docker.TermSize{}
				}
				return docker.TermSize{Rows: uint(h), Cols: uint(w)}
			}
			sio.Size = size()
			winch := make(chan os.Signal, 1)
			signal.Notify(winch, syscall.SIGWINCH)
			defer signal.Stop(winch)
			resize := make(chan docker.TermSize, 1)
			sio.Resize = resize
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-winch:
						select {
						case resize <- size():
						default:
						}
					}
				}
			}()
		}
		code, err := docker.Shell(ctx, cli, spec, sio)
		if err != nil {
			return err
		}
		if code != 0 {
			return exitError{code}
		}
		return nil
	},
}

func init() {
	f := shellCmd.Flags()
	f.StringVar(&shellFlags.workdir, "workdir", sandbox.DefaultWorkdir, "working directory in the sandbox")
	f.StringVar(&shellFlags.user, "user", "", "user (name or uid[:gid]); default the image's")
	f.StringArrayVar(&shellFlags.env, "env", nil, "KEY=VALUE (repeatable)")
	rootCmd.AddCommand(shellCmd)
}
