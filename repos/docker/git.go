package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// gitEnv isolates git from any configuration in the image, so that a diff is always plain text.
var gitEnv = []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_PAGER=cat", "PAGER=cat", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"}

// gitFlags go before every git subcommand.
const gitFlags = `-c core.quotepath=off -c color.ui=never -c core.autocrlf=false -c safe.directory='*'`

// diffScript stages everything (untracked files too, ignored ones not) into a throwaway index, so that the
// work tree's own index is left as it was, and prints the binary diff against $1. The throwaway index is read
// from $1's tree and so carries no stat data: git add must hash every file. A copy of the work tree's index
// would trust its stat data, and a same-size edit written in the same second as the last commit (file
// transfers set whole-second times) would look unchanged. The index's name is the shell's pid (two
// diffs in one sandbox at once have two): a process less than mktemp, and a file left by a killed diff is
// removed first.
const diffScript = `set -e
idx=/tmp/.ssr-index.$$; trap 'rm -f "$idx"' EXIT
[ ! -e "$idx" ] || rm -f "$idx"
export GIT_INDEX_FILE="$idx"
git ` + gitFlags + ` read-tree "$1"
git ` + gitFlags + ` add -A
git ` + gitFlags + ` diff --cached --binary --no-renames --no-ext-diff --no-textconv --full-index "$1" --`

// resetScript puts the work tree back to commit $1.
const resetScript = `set -e
git ` + gitFlags + ` reset -q --hard "$1"
git ` + gitFlags + ` clean -q -ffdx`

// maxDiff bounds a diff; a larger one is an error, never a truncated patch.
const maxDiff = 64 << 20

func (s *container_) base() string { return cmp(s.spec.Base, "HEAD") }

func (s *container_) Diff(ctx context.Context) ([]byte, error) {
	res, err := s.git(ctx, "diff", diffScript, maxDiff)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *container_) Reset(ctx context.Context) error {
	_, err := s.git(ctx, "reset", resetScript, 1<<20)
	return err
}

func (s *container_) git(ctx context.Context, op, script string, maxOut int64) ([]byte, error) {
	res, err := s.exec(ctx, sandbox.ExecRequest{
		Cmd:       []string{"/bin/sh", "-c", script, "sh", s.base()},
		Env:       gitEnv,
		MaxOutput: maxOut,
	}, execOpts{wrap: true})
	if err != nil {
		return nil, err
	}
	if res.Truncated {
		return nil, fmt.Errorf("%s in sandbox %.12s: %w: more than %d bytes", op, s.id, sandbox.ErrOutputTooLarge, maxOut)
	}
	if res.ExitCode != 0 || res.TimedOut {
		msg := strings.TrimSpace(string(res.Stderr))
		if len(msg) > 2048 {
			msg = msg[len(msg)-2048:]
		}
		if strings.Contains(msg, "not a git repository") {
			msg += fmt.Sprintf(" (the workdir %s must be a git work tree at the starting commit)", s.spec.Workdir)
		}
		return nil, &sandbox.CommandError{Op: op, ExitCode: res.ExitCode, Stderr: msg, TimedOut: res.TimedOut}
	}
	return res.Stdout, nil
}
