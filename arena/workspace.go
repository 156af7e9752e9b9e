package arena

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// workspace tracks what an episode's actions wrote into its sandbox: the current content of every file the
// arena wrote (so candidates are built on the host from the state the agent sees), the content each had at
// the last keep (what revert puts back), and the sites of the change since then.
type workspace struct {
	sb      sandbox.Sandbox
	base    func(path string) ([]byte, bool, error) // a file's content when the episode began
	cur     map[string][]byte                       // files written since; nil: deleted
	saved   map[string][]byte                       // content at the last keep of files changed since; nil: absent then
	sites   []string                                // sites of the change since the last keep or revert
	kept    []string                                // sites at the last keep
	version int                                     // counts writes: a test run is current while it matches
}

func newWorkspace(sb sandbox.Sandbox, base func(string) ([]byte, bool, error)) *workspace {
	return &workspace{sb: sb, base: base, cur: map[string][]byte{}, saved: map[string][]byte{}}
}

// content is a repository file as the episode's writes left it.
func (w *workspace) content(p string) ([]byte, bool, error) {
	if data, ok := w.cur[p]; ok {
		return data, data != nil, nil
	}
	return w.base(p)
}

// write writes files into the sandbox, remembering what each held at the last keep. old gives a file's
// content before this write when the caller read it from the sandbox (nil: take it from the workspace).
func (w *workspace) write(ctx context.Context, files map[string][]byte, old map[string][]byte) error {
	var fs []sandbox.File
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if _, ok := w.saved[p]; !ok {
			prev, had := old[p]
			if !had {
				data, ok, err := w.content(p)
				if err != nil {
					return err
				}
				if ok {
					prev = data
				}
			}
			w.saved[p] = prev
		}
		fs = append(fs, sandbox.File{Path: p, Data: files[p]})
	}
	if err := w.sb.WriteFiles(ctx, fs...); err != nil {
		return err
	}
	maps.Copy(w.cur, files)
	w.version++
	return nil
}

// keep makes the current state the one revert returns to.
func (w *workspace) keep() {
	w.saved = map[string][]byte{}
	w.kept = slices.Clone(w.sites)
}

// revert puts back every file written since the last keep and reports how many.
func (w *workspace) revert(ctx context.Context) (int, error) {
	var fs []sandbox.File
	var remove []string
	for _, p := range slices.Sorted(maps.Keys(w.saved)) {
		if data := w.saved[p]; data != nil {
			fs = append(fs, sandbox.File{Path: p, Data: data})
		} else {
			remove = append(remove, p)
		}
	}
	if len(fs) > 0 {
		if err := w.sb.WriteFiles(ctx, fs...); err != nil {
			return 0, fmt.Errorf("revert: %w", err)
		}
	}
	if len(remove) > 0 {
		res, err := w.sb.Exec(ctx, sandbox.ExecRequest{Cmd: append([]string{"rm", "-f", "--"}, remove...)})
		if err != nil {
			return 0, fmt.Errorf("revert: %w", err)
		}
		if !res.OK() {
			return 0, fmt.Errorf("revert: rm exit %d: %s", res.ExitCode, tail(res.Stderr, 300))
		}
	}
	n := len(w.saved)
	maps.Copy(w.cur, w.saved)
	w.saved = map[string][]byte{}
	w.sites = slices.Clone(w.kept)
	w.version++
	return n, nil
}

// changed returns the repository files whose content differs from the start, with their new content (nil:
// deleted).
func (w *workspace) changed() (map[string][]byte, error) {
	out := map[string][]byte{}
	for p, data := range w.cur {
		orig, ok, err := w.base(p)
		if err != nil {
			return nil, err
		}
		if ok != (data != nil) || !bytes.Equal(orig, data) {
			out[p] = data
		}
	}
	return out, nil
}

// apply carries out one candidate on the file it names.
func (w *workspace) apply(ctx context.Context, repo string, c candidate) (agent.Result, error) {
	src, ok, err := w.content(c.File)
	if err != nil {
		return agent.Result{}, err
	}
	if !ok {
		return agent.Result{Error: fmt.Sprintf("apply: %s does not exist in %s", c.File, repo)}, nil
	}
	out, desc, refused, err := c.change(ctx, src)
	if err != nil {
		return agent.Result{}, err
	}
	if refused != "" {
		return agent.Result{Error: "apply: refused: " + refused}, nil
	}
	if err := w.write(ctx, map[string][]byte{c.File: out}, nil); err != nil {
		return agent.Result{}, err
	}
	w.sites = append(w.sites, siteName(c.Candidate))
	if desc == "" {
		desc = c.Description
	}
	return agent.Result{Output: desc, Sites: slices.Clone(w.sites)}, nil
}

// siteName names a candidate's site in Result.Sites: "file:line operator".
func siteName(c agent.Candidate) string {
	what := c.Operator
	if what == "" {
		what = c.Kind
	}
	if c.Line == 0 {
		return c.File + " " + what
	}
	return fmt.Sprintf("%s:%d %s", c.File, c.Line, what)
}

// relPath turns an agent's path into the workspace's key: relative to the work directory when inside it.
func relPath(workdir, p string) (string, error) {
	if p == "" {
		return "", errors.New("no path given")
	}
	if !path.IsAbs(p) {
		p = path.Join(workdir, p)
	}
	p = path.Clean(p)
	if rel, ok := strings.CutPrefix(p, strings.TrimSuffix(workdir, "/")+"/"); ok {
		return rel, nil
	}
	return p, nil
}

// read reads a file from the sandbox; ok is false when it does not exist.
func (w *workspace) read(ctx context.Context, workdir, p string) (data []byte, ok bool, err error) {
	abs := p
	if !path.IsAbs(abs) {
		abs = path.Join(workdir, p)
	}
	data, err = w.sb.ReadFile(ctx, abs)
	if errors.Is(err, sandbox.ErrNotExist) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// create writes content to a file, created or overwritten.
func (w *workspace) create(ctx context.Context, workdir, p, content string) (agent.Result, error) {
	rel, err := relPath(workdir, p)
	if err != nil {
		return agent.Result{Error: "create: " + err.Error()}, nil
	}
	old, ok, err := w.read(ctx, workdir, rel)
	if err != nil {
		return agent.Result{Error: fmt.Sprintf("create %s: %v", p, err)}, nil
	}
	prev := map[string][]byte{rel: nil}
	if ok {
		prev[rel] = old
	}
	if err := w.write(ctx, map[string][]byte{rel: []byte(content)}, prev); err != nil {
		return agent.Result{Error: fmt.Sprintf("create %s: %v", p, err)}, nil
	}
	verb := "created"
	if ok {
		verb = "overwrote"
	}
	return agent.Result{Output: fmt.Sprintf("%s %s (%d bytes)", verb, p, len(content))}, nil
}

// replace replaces the one exact occurrence of old in a file by new.
func (w *workspace) replace(ctx context.Context, workdir, p, old, new string) (agent.Result, error) {
	rel, err := relPath(workdir, p)
	if err != nil {
		return agent.Result{Error: "replace: " + err.Error()}, nil
	}
	if old == "" {
		return agent.Result{Error: fmt.Sprintf("replace in %s: the text to replace is empty: give the exact text to change", p)}, nil
	}
	data, ok, err := w.read(ctx, workdir, rel)
	if err != nil {
		return agent.Result{Error: fmt.Sprintf("replace in %s: %v", p, err)}, nil
	}
	if !ok {
		return agent.Result{Error: fmt.Sprintf("replace in %s: no such file", p)}, nil
	}
	switch n := strings.Count(string(data), old); n {
	case 0:
		return agent.Result{Error: fmt.Sprintf("replace in %s: the text to replace does not occur in the file (it must match exactly, whitespace included)", p)}, nil
	case 1:
	default:
		return agent.Result{Error: fmt.Sprintf("replace in %s: the text to replace occurs %d times: include more of its surroundings so that it occurs once", p, n)}, nil
	}
	out := strings.Replace(string(data), old, new, 1)
	if err := w.write(ctx, map[string][]byte{rel: []byte(out)}, map[string][]byte{rel: data}); err != nil {
		return agent.Result{Error: fmt.Sprintf("replace in %s: %v", p, err)}, nil
	}
	line := strings.Count(string(data[:strings.Index(string(data), old)]), "\n") + 1
	return agent.Result{Output: fmt.Sprintf("replaced 1 occurrence in %s at line %d", p, line)}, nil
}
