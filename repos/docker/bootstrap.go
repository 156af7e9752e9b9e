package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/selfplay-swe/ssr/repos/internal/flock"
)

var (
	// ErrNoDebootstrap means debootstrap is not installed on this host.
	ErrNoDebootstrap = errors.New("debootstrap not found: install it with `apt-get install debootstrap` (or run `make setup`)")
	// ErrNotRoot means a base image was to be bootstrapped by a user other than root.
	ErrNotRoot = errors.New("debootstrap needs root to build a base image: run as root (e.g. `sudo ssr image bootstrap`) or have root build it once")
)

// ImageEngine is the part of the engine client that base images need.
type ImageEngine interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageImport(ctx context.Context, src image.ImportSource, ref string, opts image.ImportOptions) (io.ReadCloser, error)
}

// BootstrapOption configures EnsureBase.
type BootstrapOption func(*bootstrapConfig)

type bootstrapConfig struct {
	log     io.Writer
	lockDir string
}

// WithProgress sends a line per bootstrap step (and debootstrap's own output) to w.
func WithProgress(w io.Writer) BootstrapOption { return func(c *bootstrapConfig) { c.log = w } }

// WithLockDir puts the per-recipe lock files in dir instead of os.TempDir().
func WithLockDir(dir string) BootstrapOption { return func(c *bootstrapConfig) { c.lockDir = dir } }

// EnsureBase returns the reference of the base image for recipe, building it with debootstrap and importing it
// through the engine when no image with that tag exists. Concurrent calls for the same recipe on one host
// (goroutines or processes) build it once: the others wait on a file lock and then reuse the image.
func EnsureBase(ctx context.Context, cli ImageEngine, recipe Recipe, opts ...BootstrapOption) (string, error) {
	cfg := bootstrapConfig{log: io.Discard, lockDir: os.TempDir()}
	for _, o := range opts {
		o(&cfg)
	}
	if err := recipe.Validate(); err != nil {
		return "", err
	}
	ref := recipe.Ref()
	if ok, err := imageExists(ctx, cli, ref); err != nil || ok {
		return ref, err
	}
	if err := checkBootstrapHost(); err != nil {
		return "", err
	}
	unlock, err := flock.Lock(ctx, filepath.Join(cfg.lockDir, "ssr-bootstrap-"+recipe.Hash()+".lock"))
	if err != nil {
		return "", fmt.Errorf("bootstrap %s: %w", ref, err)
	}
	defer unlock()
	// Another process may have built it while this one waited for the lock.
	if ok, err := imageExists(ctx, cli, ref); err != nil || ok {
		return ref, err
	}
	if err := bootstrap(ctx, cli, recipe, cfg.log); err != nil {
		return "", fmt.Errorf("bootstrap %s (%s): %w", ref, recipe.Summary(), err)
	}
	return ref, nil
}

func imageExists(ctx context.Context, cli ImageEngine, ref string) (bool, error) {
	_, err := cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case errdefs.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("inspect image %s: %w", ref, err)
	}
}

// Seams for tests of the host checks.
var (
	lookDebootstrap = debootstrapPath
	geteuid         = os.Geteuid
)

func checkBootstrapHost() error {
	if _, err := lookDebootstrap(); err != nil {
		return err
	}
	if geteuid() != 0 {
		return ErrNotRoot
	}
	return nil
}

func debootstrapPath() (string, error) {
	if p, err := exec.LookPath("debootstrap"); err == nil {
		return p, nil
	}
	// Non-root PATHs often lack the sbin directories.
	for _, p := range []string{"/usr/sbin/debootstrap", "/sbin/debootstrap"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", ErrNoDebootstrap
}

// baseImageChanges is the image config of every base image.
var baseImageChanges = []string{
	`ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
	`ENV LANG=C.UTF-8`,
	// Debian's golang-go has no gcc beside it in a minbase image; cgo would fail in runtime/cgo.
	`ENV CGO_ENABLED=0`,
	`WORKDIR /`,
	`CMD ["/bin/bash"]`,
}

func bootstrap(ctx context.Context, cli ImageEngine, recipe Recipe, log io.Writer) error {
	r := recipe.canonical()
	deboot, err := lookDebootstrap()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "ssr-bootstrap-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "rootfs")

	start := time.Now()
	args := []string{"--variant=" + r.Variant}
	if len(r.Packages) > 0 {
		args = append(args, "--include="+strings.Join(r.Packages, ","))
	}
	args = append(args, r.Suite, root, r.Mirror)
	fmt.Fprintf(log, "ssr: debootstrap %s (takes minutes the first time)\n", strings.Join(args, " "))
	var tail tailBuffer
	cmd := exec.CommandContext(ctx, deboot, args...)
	cmd.Stdout = io.MultiWriter(log, &tail)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("debootstrap %s from %s failed: %w: %s (check the suite, the package names and that the mirror is reachable; try --mirror)",
			r.Suite, r.Mirror, err, tail.lastLine())
	}
	fmt.Fprintf(log, "ssr: debootstrap done in %s; importing\n", time.Since(start).Round(time.Second))

	// Trim what a container never needs; docker provides /dev, /proc and /sys.
	for _, g := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "dev/*", "var/log/*.log"} {
		matches, _ := filepath.Glob(filepath.Join(root, g))
		for _, m := range matches {
			os.RemoveAll(m)
		}
	}
	tarCmd := exec.CommandContext(ctx, "tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", "-", ".")
	out, err := tarCmd.StdoutPipe()
	if err != nil {
		return err
	}
	var tarErr bytes.Buffer
	tarCmd.Stderr = &tarErr
	if err := tarCmd.Start(); err != nil {
		return fmt.Errorf("tar the root filesystem: %w", err)
	}
	changes := append([]string{
		"LABEL ssr.kind=base",
		"LABEL ssr.recipe=" + strconv.Quote(r.JSON()),
	}, baseImageChanges...)
	rc, err := cli.ImageImport(ctx, image.ImportSource{Source: out, SourceName: "-"}, r.Ref(), image.ImportOptions{
		Message: "ssr base image " + r.Summary(),
		Changes: changes,
	})
	if err != nil {
		tarCmd.Process.Kill()
		tarCmd.Wait()
		return fmt.Errorf("import image: %w", err)
	}
	msg, _ := io.ReadAll(rc)
	rc.Close()
	if err := tarCmd.Wait(); err != nil {
		return fmt.Errorf("tar the root filesystem: %w: %s", err, strings.TrimSpace(tarErr.String()))
	}
	if bytes.Contains(msg, []byte(`"error"`)) {
		return fmt.Errorf("import image: %s", strings.TrimSpace(string(msg)))
	}
	if ok, err := imageExists(ctx, cli, r.Ref()); err != nil || !ok {
		return fmt.Errorf("import image: %s missing after import: %v %s", r.Ref(), err, strings.TrimSpace(string(msg)))
	}
	fmt.Fprintf(log, "ssr: imported %s in %s\n", r.Ref(), time.Since(start).Round(time.Second))
	return nil
}

// tailBuffer keeps the last few KiB written to it, for error messages.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) lastLine() string {
	s := strings.TrimSpace(string(t.b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
