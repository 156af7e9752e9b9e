package repos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Go modules without a network in sandboxes.
//
// A Go repository's modules are downloaded on the host, with the host's go command and the user's own Go
// settings (GOPROXY, GOPRIVATE, GONOSUMDB, GOSUMDB, GOFLAGS, .netrc: whatever `go env` says), into a module
// cache per repository under ssr's cache directory. Build copies that cache into the image's GOMODCACHE
// before the setup steps run, so the setup's warm-up build, the baseline and every sandbox build with
// GOPROXY=off and no network. The set of modules (path@version, sorted) is part of the image's inputs: a
// changed go.sum rebuilds.
//
// Why a module cache and not `go mod vendor`: vendoring writes vendor/ and rewrites nothing else, but it puts
// thousands of files into the work tree that every diff, every `git status` and every agent's view of the
// repository would carry, and vendor mode changes how the go command resolves packages. The module cache
// lives outside /repo, so the repository in the image is exactly the commit. A repository that vendors
// already (vendor/modules.txt) needs nothing: it is left alone.
//
// Only the extracted modules and the .mod/.info/.ziphash files are copied: the .zip archives (half the
// cache) are not needed to build from an extracted module.

// ErrGoModules marks a Go repository whose modules could not be downloaded on the host.
var ErrGoModules = errors.New("go modules unavailable")

// goModules is a repository's downloaded module set.
type goModules struct {
	Dir     string   // GOMODCACHE on the host
	Modules []string // path@version, sorted
}

// needsGoModules reports whether a checkout is a Go module whose dependencies ssr must download: go.mod at
// the root, handled by the go plugin, and no vendor directory.
func needsGoModules(pluginName string, co *Checkout) bool {
	return pluginName == "go" && co != nil && slices.Contains(co.Files, "go.mod") && !slices.Contains(co.Files, "vendor/modules.txt")
}

// goModuleEvent is one object of `go mod download -json`.
type goModuleEvent struct {
	Path    string
	Version string
	Error   string
}

// lookGo is a seam for tests of a host without Go.
var lookGo = func() (string, error) { return exec.LookPath("go") }

// downloadGoModules downloads the modules co's go.mod needs into the cache directory's gomod/<repo> and lists
// them. Errors wrap ErrGoModules and name the module that could not be had.
func (c *config) downloadGoModules(ctx context.Context, repo string, co *Checkout) (*goModules, error) {
	goBin, err := lookGo()
	if err != nil {
		return nil, fmt.Errorf("%w: repo %s: go is not installed on this host, and ssr downloads go.mod's modules with it: install Go, or commit a vendor/ directory (go mod vendor)", ErrGoModules, repo)
	}
	dir := filepath.Join(c.cacheDir, "gomod", repo)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(c.progress, "%s: downloading Go modules on the host (GOPROXY as this machine has it)\n", repo)
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json")
	cmd.Dir = co.Dir
	// The user's own settings stay; only where the cache goes, and a cache that rm -rf can remove, are ours.
	// A go.work above the cache must not change what the repository needs.
	cmd.Env = append(os.Environ(), "GOMODCACHE="+dir, "GOWORK=off", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -modcacherw"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	mods := &goModules{Dir: dir}
	var failed []string
	dec := json.NewDecoder(&stdout)
	for {
		var ev goModuleEvent
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			break // a truncated stream: the exit status and stderr tell the rest
		}
		if ev.Error != "" {
			failed = append(failed, fmt.Sprintf("%s@%s (%s)", ev.Path, ev.Version, oneLineString(ev.Error)))
			continue
		}
		mods.Modules = append(mods.Modules, ev.Path+"@"+ev.Version)
	}
	const hint = "check that this machine's go command can download it (go env GOPROXY GOPRIVATE GONOSUMDB GOSUMDB), or commit a vendor/ directory"
	switch {
	case len(failed) == 1:
		return nil, fmt.Errorf("%w: repo %s: module %s cannot be downloaded: %s", ErrGoModules, repo, failed[0], hint)
	case len(failed) > 1:
		return nil, fmt.Errorf("%w: repo %s: %d modules cannot be downloaded: %s: %s", ErrGoModules, repo, len(failed), strings.Join(failed, "; "), hint)
	case runErr != nil:
		if m := goModuleErrorRE.FindStringSubmatch(oneLineString(stderr.String())); m != nil {
			return nil, fmt.Errorf("%w: repo %s: module %s cannot be downloaded (%s): %s", ErrGoModules, repo, m[1], m[2], hint)
		}
		return nil, fmt.Errorf("%w: repo %s: go mod download: %s: %s", ErrGoModules, repo, firstGoError(stderr.String(), runErr), hint)
	}
	slices.Sort(mods.Modules)
	mods.Modules = slices.Compact(mods.Modules)
	return mods, nil
}

// goModCacheIn is where the image's go command looks for modules: GOMODCACHE, else GOPATH/pkg/mod, else
// /root/go/pkg/mod (the go command's default for root).
func goModCacheIn(env []string) string {
	m := rec(env)
	if d := m["GOMODCACHE"]; d != "" {
		return d
	}
	if p := m["GOPATH"]; p != "" {
		return strings.SplitN(p, ":", 2)[0] + "/pkg/mod"
	}
	return "/root/go/pkg/mod"
}

// keepInImage reports whether a module cache file goes into the image: not the zip archives, the checksum
// database's tiles or version-control checkouts, which a build from extracted modules never reads.
func keepInImage(rel string) bool {
	rel = filepath.ToSlash(rel)
	return !strings.HasSuffix(rel, ".zip") && !strings.HasPrefix(rel, "cache/download/sumdb") && !strings.HasPrefix(rel, "cache/vcs")
}

// goSetupEnv is the Go environment of setup steps when the manifest gives the build a network: the host's
// proxy and checksum settings instead of the recipe's GOPROXY=off, so that a setup step that fetches modules
// (go generate, go install of a tool) works as it does on the host.
func goSetupEnv(ctx context.Context) []string {
	goBin, err := lookGo()
	keys := []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE"}
	vals := map[string]string{}
	if err == nil {
		out, err := exec.CommandContext(ctx, goBin, append([]string{"env", "-json"}, keys...)...).Output()
		if err == nil {
			json.Unmarshal(out, &vals)
		}
	}
	if vals["GOPROXY"] == "" || vals["GOPROXY"] == "off" {
		vals["GOPROXY"] = "https://proxy.golang.org,direct"
	}
	var env []string
	for _, k := range keys {
		if v := vals[k]; v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// goModuleErrorRE finds the module in the go command's "go: path@version: what went wrong" line.
var goModuleErrorRE = regexp.MustCompile(`^go: (\S+@v\S+): (.*)$`)

// firstGoError is the go command's first error on one line, its indented detail lines included.
func firstGoError(stderr string, err error) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "go: ") || strings.HasPrefix(l, "go.mod:") {
			msg := l
			for _, more := range lines[i+1:] {
				if !strings.HasPrefix(more, "\t") && !strings.HasPrefix(more, " ") {
					break
				}
				msg += " " + strings.TrimSpace(more)
			}
			return msg
		}
	}
	if s := oneLineString(stderr); s != "" {
		return s
	}
	return err.Error()
}

func oneLineString(s string) string { return strings.Join(strings.Fields(s), " ") }
