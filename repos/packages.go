package repos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/errdefs"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Repository-specific Debian packages.
//
// Every repo image starts from the one shared base image (docker.DefaultRecipe, made once by debootstrap).
// The packages a plugin or a manifest adds beyond it are installed with apt-get in a container made from the
// base, and committed as a package layer, ssr-base:<base>-<packages>, that every repo with the same package
// set shares. Installing a package or two this way takes seconds, where a new debootstrapped base for each
// package set took minutes and 500+ MB.
//
// The apt step has a network even when the manifest's setup_network is off: it runs only apt-get against the
// base image's Debian mirror, with package names from the plugin's table or the manifest (validated as
// Debian names), like debootstrap does on the host. The repository's own setup steps run afterwards, in
// another container, with a network only when the manifest asks. (Downloading the .debs on the host with
// apt-get download was the alternative: the host's release need not be the image's, so it would need a
// second apt configuration on the host, for no gain.)

// LabelPackages is the label of a package layer: the packages installed on the base, comma-separated.
const LabelPackages = "ssr.packages"

// aptTimeout bounds the apt step: a mirror that stops answering must not hang a build.
const aptTimeout = 15 * time.Minute

// extraPackages are the packages in want that the base recipe lacks, sorted and unique.
func extraPackages(base docker.Recipe, want []string) []string {
	var out []string
	for _, p := range want {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(base.Packages, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// packageLayerRef is the reference of the package layer for pkgs on base.
func packageLayerRef(base docker.Recipe, pkgs []string) string {
	return docker.BaseRepository + ":" + base.Hash() + "-" + hashHex([]byte(strings.Join(pkgs, ",")))[:12]
}

// ensurePackages returns the package layer for pkgs on the base image baseRef (made from recipe), installing
// them when no such image exists. Concurrent builds of the same layer make it once. Steps go to log, apt's own
// output only to logFile.
func (b *Builder) ensurePackages(ctx context.Context, repo Repo, recipe docker.Recipe, baseRef string, pkgs []string, log, logFile io.Writer, logPath string) (string, error) {
	ref := packageLayerRef(recipe, pkgs)
	exists := func() (bool, error) {
		_, err := b.engine.ImageInspect(ctx, ref)
		if err == nil {
			return true, nil
		}
		if errdefs.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("inspect %s: %w", ref, err)
	}
	if ok, err := exists(); err != nil || ok {
		return ref, err
	}
	unlock, err := lockPath(ctx, filepath.Join(b.cfg.cacheDir, "locks", "packages-"+strings.ReplaceAll(strings.TrimPrefix(ref, docker.BaseRepository+":"), ":", "-")))
	if err != nil {
		return "", err
	}
	defer unlock()
	if ok, err := exists(); err != nil || ok {
		return ref, err
	}

	start := b.cfg.now()
	limits := repo.Limits.Sandbox()
	limits.Network = true
	// dpkg sets owners and modes as root, and apt drops to its _apt user to download.
	limits.CapAdd = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_SETUID", "CAP_SETGID"}
	sb, err := b.provider.Start(ctx, sandbox.Spec{Image: baseRef, Workdir: "/", Job: b.cfg.jobFor("build", repo.Name), Role: "packages", User: "root", Limits: limits})
	if err != nil {
		return "", err
	}
	defer sb.Close(context.WithoutCancel(ctx))
	step := "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " +
		strings.Join(pkgs, " ") + " && apt-get clean && rm -rf /var/lib/apt/lists/*"
	fmt.Fprintf(log, "$ %s\n", step)
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"bash", "-c", step + " 2>&1"}, Timeout: aptTimeout})
	if err != nil {
		return "", fmt.Errorf("install packages: %w", err)
	}
	out := string(res.Stdout) + string(res.Stderr)
	io.WriteString(logFile, out) // apt's chatter goes to the log, not to the user's terminal
	if !res.OK() {
		return "", &SetupError{Repo: repo.Name, Step: "apt-get install " + strings.Join(pkgs, " "), ExitCode: res.ExitCode, TimedOut: res.TimedOut,
			Tail: lastLines(out, 20) + "\n(check the package names in the manifest's packages: and that the Debian mirror is reachable)", Log: logPath}
	}
	pkgJSON, _ := json.Marshal(pkgs)
	if _, err := sb.Commit(ctx, ref, label(LabelPackages, string(pkgJSON))); err != nil {
		return "", fmt.Errorf("commit %s: %w", ref, err)
	}
	fmt.Fprintf(log, "%s: package layer %s (%s) in %s\n", repo.Name, ref, strings.Join(pkgs, " "), b.cfg.now().Sub(start).Round(100*time.Millisecond))
	return ref, nil
}
