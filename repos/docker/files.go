package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// maxReadFile bounds ReadFile, so that a hostile sandbox cannot exhaust host memory.
const maxReadFile = 256 << 20

// WriteFiles writes files into the sandbox. A file under the workdir, and every directory below the
// workdir on its way, belongs to the sandbox's user, who works on the tree; such writes are deferred to the
// next exec, which carries them (deferred.go). A file elsewhere (ssr's own, such as a test script) belongs
// to root, so the user can read and run it but not change it: it goes at once through the engine's archive
// API (the deferred files are all under the workdir, so the order of the two does not matter). Files on the
// tmpfs mounts are written by the sandbox's user.
func (s *container_) WriteFiles(ctx context.Context, files ...sandbox.File) error {
	if s.isClosed() {
		return s.errClosed("write files")
	}
	s.mu.Lock()
	carry := !s.noCarry
	s.mu.Unlock()
	var later, now []sandbox.File
	for _, f := range files {
		p, err := s.abs(f.Path)
		if err != nil {
			return err
		}
		f.Path = p
		if carry && s.inTree(p) {
			later = append(later, f)
		} else {
			now = append(now, f)
		}
	}
	if len(now) > 0 {
		if err := s.writeNow(ctx, now...); err != nil {
			return err
		}
	}
	s.deferWrite(later)
	return nil
}

// writeNow sends the files in one tar stream through the engine's archive API (binary-safe, no exec).
func (s *container_) writeNow(ctx context.Context, files ...sandbox.File) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	archived := 0
	dirs := map[string]bool{} // directories below the workdir already in the archive
	for _, f := range files {
		p, err := s.abs(f.Path)
		if err != nil {
			return err
		}
		mode := int64(f.Mode.Perm())
		if mode == 0 {
			mode = 0o644
		}
		if onTmpfs(p) {
			if err := s.writeViaExec(ctx, p, f.Data, mode); err != nil {
				return err
			}
			continue
		}
		archived++
		hdr := &tar.Header{Name: strings.TrimPrefix(p, "/"), Mode: mode, Size: int64(len(f.Data)), ModTime: now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if rel, ok := strings.CutPrefix(p, s.spec.Workdir+"/"); ok {
			own, err := s.owner(ctx)
			if err != nil {
				return err
			}
			hdr.Uid, hdr.Gid = own.uid, own.gid
			if !own.root() {
				// The engine makes missing parents root's; the user must be able to add files beside these.
				if err := ownDirs(tw, s.spec.Workdir, rel, own, now, dirs); err != nil {
					return fmt.Errorf("write %s: %w", f.Path, err)
				}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if archived == 0 {
		return nil
	}
	if err := s.p.cli.CopyToContainer(ctx, s.id, "/", &buf, container.CopyToContainerOptions{}); err != nil {
		return s.engineErr(fmt.Sprintf("write %d file(s) (first %s)", len(files), files[0].Path), err)
	}
	return nil
}

// ownDirs writes a directory entry owned by own for every directory between workdir and the file rel
// (relative to workdir) that is not in the archive yet, parents first.
func ownDirs(tw *tar.Writer, workdir, rel string, own fileOwner, now time.Time, done map[string]bool) error {
	var missing []string
	for d := path.Dir(rel); d != "." && !done[d]; d = path.Dir(d) {
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		done[missing[i]] = true
		name := strings.TrimPrefix(path.Join(workdir, missing[i]), "/") + "/"
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Uid: own.uid, Gid: own.gid, ModTime: now, Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile fetches one regular file through the engine's archive API.
func (s *container_) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if s.isClosed() {
		return nil, s.errClosed("read file")
	}
	abs, err := s.abs(p)
	if err != nil {
		return nil, err
	}
	if data, ok := s.deferredFile(abs); ok {
		return data, nil
	}
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	if onTmpfs(abs) {
		return s.readViaExec(ctx, abs)
	}
	rc, stat, err := s.p.cli.CopyFromContainer(ctx, s.id, abs)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("read %s in sandbox %.12s: %w", abs, s.id, sandbox.ErrNotExist)
		}
		return nil, s.engineErr("read "+abs, err)
	}
	defer rc.Close()
	if !stat.Mode.IsRegular() {
		return nil, fmt.Errorf("read %s in sandbox %.12s: not a regular file (mode %v)", abs, s.id, stat.Mode)
	}
	// The archive of one regular file holds exactly that file, named by its base name. Anything else
	// (another name, a link, a "../" path) is refused; its content only ever goes to memory, never to
	// a path on the host.
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("read %s in sandbox %.12s: archive: %w", abs, s.id, err)
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Name != path.Base(abs) {
		return nil, fmt.Errorf("read %s in sandbox %.12s: the engine's archive holds %q (type %q), not the file", abs, s.id, hdr.Name, hdr.Typeflag)
	}
	if hdr.Size > maxReadFile {
		return nil, fmt.Errorf("read %s in sandbox %.12s: %d bytes: %w (limit %d)", abs, s.id, hdr.Size, sandbox.ErrOutputTooLarge, maxReadFile)
	}
	return io.ReadAll(io.LimitReader(tr, maxReadFile))
}

// abs resolves p against the workdir.
func (s *container_) abs(p string) (string, error) {
	if p == "" || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: file path %q: want a file name", sandbox.ErrInvalidSpec, p)
	}
	if !path.IsAbs(p) {
		p = path.Join(s.spec.Workdir, p)
	}
	p = path.Clean(p)
	if p == "/" {
		return "", fmt.Errorf("%w: file path %q names the root directory", sandbox.ErrInvalidSpec, p)
	}
	return p, nil
}

// onTmpfs reports whether p is on one of the sandbox's tmpfs mounts, which the engine's archive API
// cannot reach (it reads and writes the container's own layer under the mount).
func onTmpfs(p string) bool {
	for _, d := range tmpfsDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// writeFileScript writes standard input to $1 with mode $2, creating parent directories.
const writeFileScript = `set -e; mkdir -p "$(dirname "$1")"; cat > "$1"; chmod "$2" "$1"`

// readFileScript prints $1, exiting 44 when it does not exist and 45 when it is not a regular file.
const readFileScript = `[ -e "$1" ] || exit 44; [ -f "$1" ] || exit 45; exec cat "$1"`

func (s *container_) writeViaExec(ctx context.Context, p string, data []byte, mode int64) error {
	if data == nil {
		data = []byte{}
	}
	res, err := s.exec(ctx, sandbox.ExecRequest{
		Cmd: []string{"/bin/sh", "-c", writeFileScript, "sh", p, strconv.FormatInt(mode, 8)}, Stdin: data,
		Timeout: 5 * time.Minute, MaxOutput: 4096,
	}, execOpts{wrap: true})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 || res.TimedOut {
		return fmt.Errorf("write %s in sandbox %.12s: exit status %d: %s", p, s.id, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return nil
}

func (s *container_) readViaExec(ctx context.Context, p string) ([]byte, error) {
	res, err := s.exec(ctx, sandbox.ExecRequest{
		Cmd:     []string{"/bin/sh", "-c", readFileScript, "sh", p},
		Timeout: 5 * time.Minute, MaxOutput: maxReadFile,
	}, execOpts{wrap: true})
	switch {
	case err != nil:
		return nil, err
	case res.ExitCode == 44:
		return nil, fmt.Errorf("read %s in sandbox %.12s: %w", p, s.id, sandbox.ErrNotExist)
	case res.ExitCode == 45:
		return nil, fmt.Errorf("read %s in sandbox %.12s: not a regular file", p, s.id)
	case res.Truncated:
		return nil, fmt.Errorf("read %s in sandbox %.12s: %w (limit %d)", p, s.id, sandbox.ErrOutputTooLarge, maxReadFile)
	case res.ExitCode != 0 || res.TimedOut:
		return nil, fmt.Errorf("read %s in sandbox %.12s: exit status %d: %s", p, s.id, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return res.Stdout, nil
}
