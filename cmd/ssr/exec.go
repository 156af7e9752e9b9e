package main

import (
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// ssr exec: one command in a fresh, hardened sandbox, for plugin authors and debugging.

var execFlags struct {
	workdir   string
	timeout   time.Duration
	env       []string
	user      string
	stdin     bool
	maxOutput int64
	memory    int64
}

var execCmd = &cobra.Command{
	Use:   "exec IMAGE [--workdir DIR] [--timeout D] [--env K=V]... [-i] -- CMD...",
	Short: "Run one command in a fresh sandbox and exit with its status",
	Long: "Run CMD as the own process of a new container from IMAGE (a sandbox's: no network, no\n" +
		"capabilities, limits as for a job), print its output, remove the container and exit with CMD's\n" +
		"status (124 on a timeout, after the whole process tree was killed). -i sends standard input to CMD.",
	Args: func(cmd *cobra.Command, args []string) error {
		if cmd.ArgsLenAtDash() != 1 || len(args) < 2 {
			return usageError{fmt.Errorf("want IMAGE -- CMD... (usage: %s)", cmd.UseLine())}
		}
		return nil
	},
	RunE: func(cmd *cobra.Command, args []string) error {
		// An interrupt kills the command and removes its container before ssr exits.
		ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		req := sandbox.ExecRequest{Cmd: args[1:], Timeout: execFlags.timeout, MaxOutput: execFlags.maxOutput}
		if execFlags.stdin {
			in, err := io.ReadAll(cmd.InOrStdin())
			if err != nil {
				return fmt.Errorf("read standard input: %w", err)
			}
			req.Stdin = in
		}
		spec := sandbox.Spec{
			Image: args[0], Workdir: execFlags.workdir, Env: execFlags.env, User: execFlags.user,
			Job: "cli", Role: "exec", Limits: sandbox.Limits{Memory: execFlags.memory},
		}
		if err := spec.Validate(); err != nil {
			return usageError{err}
		}
		if err := req.Validate(); err != nil {
			return usageError{err}
		}
		cli, err := docker.Connect(ctx)
		if err != nil {
			return err
		}
		defer cli.Close()
		p, err := docker.New(cli)
		if err != nil {
			return err
		}
		res, err := p.Run(ctx, spec, req)
		cmd.OutOrStdout().Write(res.Stdout)
		cmd.ErrOrStderr().Write(res.Stderr)
		if err != nil {
			if ctx.Err() != nil && cmd.Context().Err() == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ssr: interrupted; %q was killed and its container removed\n", args[1])
				return exitError{130}
			}
			return err
		}
		switch {
		case res.TimedOut:
			fmt.Fprintf(cmd.ErrOrStderr(), "ssr: %q timed out after %s; its process tree was killed (raise --timeout)\n", args[1], res.Duration.Round(time.Millisecond))
			return exitError{124}
		case res.OOMKilled:
			fmt.Fprintf(cmd.ErrOrStderr(), "ssr: %q ran out of memory (exit status %d; raise --memory)\n", args[1], res.ExitCode)
		}
		if res.ExitCode != 0 {
			return exitError{res.ExitCode}
		}
		return nil
	},
}

func init() {
	f := execCmd.Flags()
	f.StringVar(&execFlags.workdir, "workdir", sandbox.DefaultWorkdir, "working directory in the sandbox")
	f.DurationVar(&execFlags.timeout, "timeout", sandbox.DefaultExecTimeout, "kill the command's process tree after this long")
	f.StringArrayVar(&execFlags.env, "env", nil, "KEY=VALUE for the command (repeatable)")
	f.StringVar(&execFlags.user, "user", "", "user (name or uid[:gid]) to run as; default the image's")
	f.BoolVarP(&execFlags.stdin, "interactive", "i", false, "send standard input to the command")
	f.Int64Var(&execFlags.maxOutput, "max-output", sandbox.DefaultMaxOutput, "bytes of stdout and of stderr kept (then a truncation marker)")
	f.Int64Var(&execFlags.memory, "memory", sandbox.DefaultMemory, "memory limit in bytes")
	rootCmd.AddCommand(execCmd)
}
