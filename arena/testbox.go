package arena

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// testBox is a sandbox started from a repo image that serves test runs one after another, each on the tree
// at the repository's commit with one overlay applied. Everything a run needs travels with the exec that
// runs it: the test script in its command (scriptCommand), a tar on its standard input with the overlay,
// and the exec's Setup, which resets the tree (from the second run on), unpacks the tar and removes the
// overlay's deleted files before the script starts. A run is then one exec: no file transfer through the
// engine's archive API (which costs as much as an exec) and no second exec to delete files. Only what must
// be root's file is written through the engine, once per content: a script parser, and a test script too
// large for the command.
//
// A reset puts the box back as it started, as far as a test run can tell: tracked files as at the commit,
// untracked and ignored files that the image did not have removed (those it had, such as build outputs,
// are kept; a file a run added inside such a directory stays), /tmp and /var/tmp emptied, and every process
// left by an earlier exec killed. Caches outside the tree ($HOME, Go's build cache) are kept: they are keyed
// by content.
type testBox struct {
	sb sandbox.Sandbox
	// keep: remember, on the first run, what the image left untracked in the tree, so that a reset keeps
	// it; a box that will serve several runs needs it.
	keep      bool
	installed map[string]string // path under runDir → sha256 of the content it holds
	used      bool              // a run changed the tree: the next one resets it first
	// prepUser: the sandbox's user cannot write the tree, so each run is prepared by an exec of its own as
	// the tree's owner (root has no capabilities in a sandbox: only the owner can write it) before the
	// script runs as the sandbox's user. Empty while the sandbox's user can.
	prepUser string
}

// Paths the box's Setup keeps, in the tree's git directory: the sandbox user writes the tree but not
// runDir, which is root's (WriteFiles, through the engine) so that the code under test cannot change the
// test script or the parser.
const (
	boxState    = sandbox.DefaultWorkdir + "/.git/ssr-box"
	boxPristine = boxState + "/pristine" // the image's untracked and ignored paths, as git clean's exclude patterns
	boxHead     = boxState + "/head"     // the commit the tree is reset to
)

// exitNotWritable is the Setup's exit status when the exec's user cannot write the tree.
const exitNotWritable = 90

// ownerMark precedes the tree owner's uid in the message of a setup whose user cannot write the tree.
const ownerMark = "uid "

// treeOwner reads the tree owner's uid from a setup's message; "" when it has none.
func treeOwner(stderr []byte) string {
	msg := strings.TrimSpace(string(stderr))
	i := strings.LastIndex(msg, ", owned by "+ownerMark)
	if i < 0 {
		return ""
	}
	uid := msg[i+len(", owned by "+ownerMark):]
	if _, err := strconv.Atoi(uid); err != nil {
		return ""
	}
	return uid
}

// startBox starts a test sandbox from repo's image (one role for every test run, so that a warm pool
// serves them all). keep says whether it will serve more than one run.
func (a *Arena) startBox(ctx context.Context, repo *Repo, keep bool) (*testBox, error) {
	sb, err := a.sandboxes.Start(ctx, repo.spec(a.job, "test"))
	if err != nil {
		return nil, err
	}
	return &testBox{sb: sb, keep: keep, installed: map[string]string{}}, nil
}

// runIn runs art's test script in box on the repository's tree with ov applied, and parses what it printed.
// The error is for infrastructure failures only; a box that met one must not serve another run.
func (a *Arena) runIn(ctx context.Context, box *testBox, repo *Repo, kind string, ov *overlay, art *artifact.Artifact, timeout time.Duration) (*TestRun, error) {
	if ov == nil {
		ov = &overlay{}
	}
	install := box.missing(runFiles(art))
	if len(install) > 0 { // root's, through the engine: the code under test can run them, not change them
		if err := box.sb.WriteFiles(ctx, install...); err != nil {
			return nil, fmt.Errorf("%s run: install the test script: %w", kind, err)
		}
	}
	payload, err := runPayload(ov)
	if err != nil {
		return nil, fmt.Errorf("%s run: %w", kind, err)
	}
	setup := box.setup(ov, payload != nil)
	req := sandbox.ExecRequest{Cmd: scriptCommand(art), Dir: sandbox.DefaultWorkdir, Timeout: timeout}
	var res sandbox.ExecResult
	for {
		if box.prepUser != "" {
			res, err = box.sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"true"}, Dir: sandbox.DefaultWorkdir, User: box.prepUser,
				Timeout: timeout, Setup: setup, Stdin: payload})
			if err == nil && !res.SetupFailed {
				res, err = box.sb.Exec(ctx, req)
			}
		} else {
			r := req
			r.Setup, r.Stdin = setup, payload
			res, err = box.sb.Exec(ctx, r)
		}
		if err != nil {
			return nil, fmt.Errorf("%s run: %w", kind, err)
		}
		if res.SetupFailed && res.ExitCode == exitNotWritable && !res.TimedOut && box.prepUser == "" {
			if owner := treeOwner(res.Stderr); owner != "" {
				box.prepUser = owner // nothing was changed yet: the same setup runs again, as the owner
				continue
			}
		}
		box.used = true
		break
	}
	if res.SetupFailed {
		return nil, fmt.Errorf("%s run: prepare the tree in sandbox %s: the setup %s: %s (it needs sh, tar and, to reuse a sandbox, git, GNU sed and GNU coreutils)",
			kind, box.sb.ID(), execEnding(res, timeout), tail(res.Stderr, 600))
	}
	for _, f := range install {
		box.installed[f.Path] = contentHash(f.Data)
	}
	return a.parseRun(ctx, box.sb, box, repo, kind, art, res, timeout)
}

// runFiles are the files a run of art in a test box needs under runDir: the test script when it does not
// travel in the command (scriptFiles), and a script parser.
func runFiles(art *artifact.Artifact) []sandbox.File {
	files := scriptFiles(art)
	if art.Parser.IsScript() {
		files = append(files, parserFile(art.Parser))
	}
	return files
}

// missing returns the files that the box does not hold with the same content.
func (b *testBox) missing(files []sandbox.File) []sandbox.File {
	var out []sandbox.File
	for _, f := range files {
		if b.installed[f.Path] != contentHash(f.Data) {
			out = append(out, f)
		}
	}
	return out
}

func contentHash(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// setup is the shell script that prepares the tree for a run, in the workdir, before the test script
// starts: reset (from the second run), unpack the payload on standard input (when there is one), remove
// the overlay's deleted files.
func (b *testBox) setup(ov *overlay, payload bool) string {
	var s strings.Builder
	fmt.Fprintf(&s, "set -e\n{ [ -w . ]; } 2>/dev/null || { echo \"user $(id -u) cannot write $(pwd), owned by %s$(stat -c %%u .)\" >&2; exit %d; }\n",
		ownerMark, exitNotWritable)
	switch {
	case b.used:
		s.WriteString(resetTreeScript)
	case b.keep:
		s.WriteString("mkdir -p " + boxState + "\n" + recordTreeScript)
	}
	if payload {
		s.WriteString("tar -x -m -f - -C /\n")
	}
	if len(ov.remove) > 0 {
		s.WriteString("rm -f --")
		for _, p := range ov.remove {
			s.WriteString(" " + shellQuote(p))
		}
		s.WriteString("\n")
	}
	return s.String()
}

// recordTreeScript remembers the commit and the paths that the image left untracked (ignored ones
// included; a wholly untracked directory as one entry), before the first run changes anything: as git
// clean's exclude patterns, one a line, anchored at the tree's root, with every character that a pattern
// reads specially escaped (a newline, which a line cannot hold, becomes ?, which matches it).
const recordTreeScript = `git ` + boxGitFlags + ` rev-parse HEAD > ` + boxHead + `
git ` + boxGitFlags + ` ls-files -z -o --directory > ` + boxPristine + `.z
sed -z -e 's/[][*?\\!# ]/\\&/g' -e 's/\n/?/g' -e 's|^|/|' ` + boxPristine + `.z | tr '\0' '\n' > ` + boxPristine + `
`

// resetTreeScript puts the tree back to the recorded commit, removes every untracked path but those the
// image had (git clean, with the recorded patterns as excludes), empties the temporary directories (but for
// the sandbox backend's own dot files) and kills what earlier execs left running: processes marked with
// another exec's id. It starts as few processes as it can (each costs milliseconds in a sandbox): the
// temporary directories are listed by the shell, and rm runs only when they hold something. Every step is
// a command of its own, so that set -e stops at the first that fails.
const resetTreeScript = `read -r head < ` + boxHead + `
git ` + boxGitFlags + ` reset -q --hard "$head"
set --
while IFS= read -r p; do set -- "$@" -e "$p"; done < ` + boxPristine + `
git ` + boxGitFlags + ` clean -q -ffdx "$@"
set --
for f in /tmp/* /tmp/.[!.]* /tmp/..?* /var/tmp/* /var/tmp/.[!.]* /var/tmp/..?*; do
  case ${f##*/} in .ssr-*) continue;; esac
  if [ -e "$f" ] || [ -L "$f" ]; then set -- "$@" "$f"; fi
done
[ $# -eq 0 ] || rm -rf -- "$@"
l=$(grep -lz '^SSR_EXEC_ID=' /proc/[0-9]*/environ 2>/dev/null || true)
if [ -n "$l" ]; then
  for f in $(grep -Lzx "SSR_EXEC_ID=$SSR_EXEC_ID" $l 2>/dev/null); do
    p=${f#/proc/}; kill -KILL "${p%/environ}" 2>/dev/null || true
  done
fi
`

// boxGitFlags keep git away from any configuration in the image.
const boxGitFlags = `-c core.quotepath=off -c safe.directory='*' -c core.autocrlf=false`

// runPayload is the tar that a run's Setup unpacks at /: the files to install and the overlay's written
// files under the workdir; nil when there is nothing to write.
func runPayload(ov *overlay) ([]byte, error) {
	files := make([]sandbox.File, 0, len(ov.write))
	for _, p := range slices.Sorted(maps.Keys(ov.write)) {
		files = append(files, sandbox.File{Path: path.Join(sandbox.DefaultWorkdir, p), Data: ov.write[p], Mode: 0o644})
	}
	if len(files) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		name := strings.TrimPrefix(path.Clean(f.Path), "/")
		if name == "" || name == "." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("file %q is outside the sandbox's tree", f.Path)
		}
		mode := int64(f.Mode.Perm())
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: name, Mode: mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("pack %s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("pack %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// shellQuote quotes s as one word for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// boxes hands out test boxes for one artifact's runs, reused from one run to the next: a run takes an idle
// box or starts one, and gives it back when it is done, so that a Validate starts as many sandboxes as it
// runs tests at once (at most Config.Containers). Only one artifact's runs share boxes: what a run leaves
// outside the tree tells a later one no more than the tree, which the artifact's code can read, already
// does. Evaluations of different attempts never share one: a prediction's code could leave something
// behind for another attempt's evaluation.
type boxes struct {
	a    *Arena
	repo *Repo
	mu   sync.Mutex
	idle []*testBox
}

func (a *Arena) newBoxes(repo *Repo) *boxes { return &boxes{a: a, repo: repo} }

// run runs one test run in a box of the set.
func (bs *boxes) run(ctx context.Context, kind string, ov *overlay, art *artifact.Artifact, timeout time.Duration) (*TestRun, error) {
	bs.mu.Lock()
	var box *testBox
	if n := len(bs.idle); n > 0 {
		box, bs.idle = bs.idle[n-1], bs.idle[:n-1]
	}
	bs.mu.Unlock()
	if box == nil {
		var err error
		if box, err = bs.a.startBox(ctx, bs.repo, true); err != nil {
			return nil, fmt.Errorf("%s run: %w", kind, err)
		}
	}
	run, err := bs.a.runIn(ctx, box, bs.repo, kind, ov, art, timeout)
	if err != nil {
		bs.a.release(box.sb) // it may be in any state
		return nil, err
	}
	bs.mu.Lock()
	bs.idle = append(bs.idle, box)
	bs.mu.Unlock()
	return run, nil
}

// close releases every idle box.
func (bs *boxes) close() {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	for _, b := range bs.idle {
		bs.a.release(b.sb)
	}
	bs.idle = nil
}
