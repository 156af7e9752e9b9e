package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Writes to the tree are deferred: WriteFiles keeps the files it would give to the sandbox's user (those
// under the workdir) and the next exec that can carry them (one with no Stdin of its own, run as the
// sandbox's user) unpacks them from its standard input in a Setup before its command starts (and before
// its own Setup, when it has one). A transfer through the engine's archive API costs as much as an exec on
// the engines ssr runs on, and an episode writes before nearly every exec (an edit, then its tests), so a
// write and the exec that follows take one round trip instead of two. Every other way to look at the sandbox sees the files first: an exec
// that cannot carry them, ReadFile and Commit write them through the engine; Diff and Reset are execs that
// carry them. The files go exactly where WriteFiles would put them, owned by the sandbox's user (who runs
// the unpacking). Where that user cannot write them (a tree owned by another user), the carrying exec's
// Setup fails before its command ran: the files then go through the engine, the command runs as asked, and
// the sandbox writes through the engine from then on.

// carrySetup unpacks the deferred files that travel on an exec's standard input, with their modes; when
// it cannot, the Setup ends with exitNoCarry (so that a failure of the exec's own Setup, which follows it,
// is told apart).
var carrySetup = "tar -x -p -m -f - -C / || exit " + strconv.Itoa(exitNoCarry) + "\n"

// exitNoCarry is carrySetup's exit status when the files could not be unpacked.
const exitNoCarry = 91

// inTree reports whether the file at abs (resolved by abs) is the tree's, which a write can leave to the
// next exec (unless the sandbox's user could not unpack files once: noCarry).
func (s *container_) inTree(abs string) bool {
	return strings.HasPrefix(abs, s.spec.Workdir+"/") && !onTmpfs(abs)
}

// deferWrite keeps files (paths resolved, data copied) for the next exec, the newest content of a path
// replacing an older one.
func (s *container_) deferWrite(files []sandbox.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range files {
		f.Data = bytes.Clone(f.Data)
		s.putDeferredLocked(f)
	}
}

// putDeferredLocked adds f to the deferred files, in place of an older write of its path.
func (s *container_) putDeferredLocked(f sandbox.File) {
	if i := slices.IndexFunc(s.deferred, func(d sandbox.File) bool { return d.Path == f.Path }); i >= 0 {
		s.deferred[i] = f
	} else {
		s.deferred = append(s.deferred, f)
	}
}

func (s *container_) hasDeferred() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.deferred) > 0
}

// takeDeferred returns the deferred files and forgets them.
func (s *container_) takeDeferred() []sandbox.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	files := s.deferred
	s.deferred = nil
	return files
}

// requeue puts back files whose write may not have happened, before any deferred since.
func (s *container_) requeue(files []sandbox.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	newer := s.deferred
	s.deferred = nil
	for _, f := range slices.Concat(files, newer) {
		s.putDeferredLocked(f)
	}
}

// deferredFile returns the deferred content of the file at abs.
func (s *container_) deferredFile(abs string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.deferred {
		if f.Path == abs {
			return bytes.Clone(f.Data), true
		}
	}
	return nil, false
}

// flush writes the deferred files through the engine.
func (s *container_) flush(ctx context.Context) error {
	files := s.takeDeferred()
	if len(files) == 0 {
		return nil
	}
	if err := s.writeNow(ctx, files...); err != nil {
		s.requeue(files)
		return err
	}
	return nil
}

// carry runs req with the deferred files unpacked by its Setup, before the request's own.
func (s *container_) carry(ctx context.Context, req sandbox.ExecRequest, o execOpts) (sandbox.ExecResult, error) {
	files := s.takeDeferred()
	payload, err := deferredTar(files)
	if err != nil {
		s.requeue(files)
		return sandbox.ExecResult{}, fmt.Errorf("write %d file(s) (first %s) in sandbox %.12s: %w", len(files), files[0].Path, s.id, err)
	}
	r := req
	r.Setup, r.Stdin = carrySetup+req.Setup, payload
	res, err := s.execNow(ctx, r, o)
	if err != nil {
		s.requeue(files) // written or not: writing them again is harmless
		return res, err
	}
	// Without a Setup of its own, any failure of the Setup is the carrying's; with one, only exitNoCarry
	// is (and the request's Setup did not run).
	if !res.SetupFailed || req.Setup != "" && (res.ExitCode != exitNoCarry || res.TimedOut) {
		return res, nil
	}
	s.mu.Lock()
	s.noCarry = true
	s.mu.Unlock()
	if err := s.writeNow(ctx, files...); err != nil {
		return sandbox.ExecResult{}, err
	}
	return s.execNow(ctx, req, o)
}

// deferredTar packs files (absolute paths) for carrySetup.
func deferredTar(files []sandbox.File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode := int64(f.Mode.Perm())
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: strings.TrimPrefix(f.Path, "/"), Mode: mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
