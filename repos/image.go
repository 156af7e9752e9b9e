package repos

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Image labels. Every repo image carries them; Build compares LabelInputs to decide whether to rebuild.
const (
	LabelRepo     = "ssr.repo"     // the manifest entry's name
	LabelInputs   = "ssr.inputs"   // hash of everything the image is made from (see Image.Inputs)
	LabelCommit   = "ssr.commit"   // full hash of the code's commit
	LabelLanguage = "ssr.language" // plugin name
	LabelPlugin   = "ssr.plugin"   // plugin name@version
	LabelEnv      = "ssr.env"      // JSON object: the plugin's environment for every run
	LabelWarnings = "ssr.warnings" // JSON list: the warnings the setup steps printed
)

// ImageRepository is the repository part of every repo image's reference.
const ImageRepository = "ssr-repo"

// imageFormat is bumped when the way images are made changes, so that old images are rebuilt.
const imageFormat = "3" // 2: the sandbox user (see user.go); 3: packStep, artifactStep

// packStep packs the loose objects of the copied history (go-git writes one file per object): a solver's
// sandbox removes the history before it starts, and on the image's overlay every file removed is a
// whiteout written, so a history of 100 files costs twice as long to remove as one of 17.
const packStep = "git -c safe.directory='*' repack -d -q"

// ErrSetupFailed is wrapped by the *SetupError a failed setup step gives.
var ErrSetupFailed = errors.New("setup step failed")

// SetupError is a setup step that exited non-zero while a repo image was built.
type SetupError struct {
	Repo     string
	Step     string // the command
	ExitCode int
	TimedOut bool
	Tail     string // the last lines of its output
	Log      string // the full build log on the host
}

func (e *SetupError) Error() string {
	how := fmt.Sprintf("exit status %d", e.ExitCode)
	if e.TimedOut {
		how = "timed out"
	}
	return fmt.Sprintf("build %s: setup step %q failed (%s); full log: %s; last lines:\n%s", e.Repo, e.Step, how, e.Log, e.Tail)
}

// Unwrap lets errors.Is(err, ErrSetupFailed) hold.
func (e *SetupError) Unwrap() error { return ErrSetupFailed }

// Engine is the part of the Docker Engine client that repo images need; *client.Client satisfies it.
type Engine interface {
	docker.ImageEngine
	ImageList(ctx context.Context, opts image.ListOptions) ([]image.Summary, error)
	CopyToContainer(ctx context.Context, id, dst string, content io.Reader, opts container.CopyToContainerOptions) error
}

var _ Engine = (*client.Client)(nil)

// Languages gives the language plugin for a repo: the one named, or the one that detects the checkout.
type Languages interface {
	Language(ctx context.Context, name string, co *Checkout) (plugin.Language, error)
}

// HostLanguages finds plugins through a plugin.Host: by name when the manifest names one, else by Detect.
type HostLanguages struct{ Host *plugin.Host }

// Language implements Languages.
func (h HostLanguages) Language(ctx context.Context, name string, co *Checkout) (plugin.Language, error) {
	if name != "" {
		c, err := h.Host.Open(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("language plugin %q: %w", name, err)
		}
		return c, nil
	}
	if co == nil {
		return nil, errors.New("no language named and no checkout to detect one from: set 'language:' in the manifest")
	}
	res, err := h.Host.Detect(ctx, &plugin.DetectRequest{Root: co.Dir, Files: co.Files}, plugin.DefaultMinConfidence)
	if err != nil {
		if res == nil || !errors.Is(err, plugin.ErrNoMatch) {
			return nil, err
		}
		return nil, noLanguageError(res, err)
	}
	return res.Best.Client, nil
}

// noLanguageError is Detect's failure as one line: what each plugin said and what to do.
func noLanguageError(res *plugin.DetectResult, err error) error {
	var said []string
	for _, c := range res.Candidates {
		said = append(said, fmt.Sprintf("%s %.2f: %s", c.Client.Name(), c.Confidence, c.Reason))
	}
	if len(said) == 0 {
		return fmt.Errorf("%w: no language plugin answered (%s): install ssr-lang-go or ssr-lang-python beside ssr (make build), see 'ssr plugins list'",
			plugin.ErrNoMatch, oneLine(err))
	}
	return fmt.Errorf("%w: no language detected (%s; a plugin needs %.2f): set 'language:' in the manifest, or install a plugin for its language",
		plugin.ErrNoMatch, strings.Join(said, "; "), plugin.DefaultMinConfidence)
}

// Image is a built repo image: the dependencies installed and the code at Workdir as a git work tree.
type Image struct {
	Repo     string        `json:"repo"`
	Ref      string        `json:"ref"`    // ssr-repo/<name>:<commit12>-<recipe12>, or the manifest's image
	ID       string        `json:"id"`     // the engine's image ID
	Commit   string        `json:"commit"` // the code's commit; empty for image sources
	Workdir  string        `json:"workdir"`
	Language string        `json:"language"`           // plugin name
	Plugin   string        `json:"plugin"`             // plugin name@version
	Env      []string      `json:"env"`                // KEY=VALUE from the plugin, for every sandbox made from the image
	User     string        `json:"user"`               // who runs commands in its sandboxes (Repo.User): uid:gid, or "" for the image's own
	Inputs   string        `json:"inputs"`             // hash over commit, base recipe, setup steps, environment, plugin
	Cached   bool          `json:"cached"`             // an image with the same inputs existed and was reused
	Warnings []string      `json:"warnings,omitempty"` // lines the setup steps printed that start with "warning: " (dependencies left out, …)
	Log      string        `json:"log"`                // the build log on the host (empty when cached)
	Duration time.Duration `json:"duration"`
}

// Builder builds repo images and runs baselines. It is safe for concurrent use on different repos.
type Builder struct {
	engine    Engine
	provider  sandbox.Provider
	languages Languages
	cfg       *config
}

// NewBuilder returns a Builder that talks to engine, starts sandboxes with provider and finds plugins with
// languages.
func NewBuilder(engine Engine, provider sandbox.Provider, languages Languages, opts ...Option) *Builder {
	return &Builder{engine: engine, provider: provider, languages: languages, cfg: newConfig(opts)}
}

// buildPlan is everything an image is made from.
type buildPlan struct {
	repo     Repo
	co       *Checkout
	lang     plugin.Language
	plugin   *plugin.DescribeResponse
	recipe   docker.Recipe
	setup    []string
	env      []string
	workdir  string
	inputs   string
	recipeID string     // hash of everything but the commit: the tag's second half
	goMods   *goModules // a Go repository's modules, downloaded on the host; nil for others
}

// ImageRef is the reference a repo image gets: ssr-repo/<name>:<commit12>-<recipe12>.
func ImageRef(name, commit, recipeHash string) string {
	return fmt.Sprintf("%s/%s:%s-%s", ImageRepository, name, short(commit, 12), short(recipeHash, 12))
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Language returns the plugin for repo (named in the manifest or detected from its checkout).
func (b *Builder) Language(ctx context.Context, repo Repo) (plugin.Language, *Checkout, error) {
	var co *Checkout
	if repo.Source.Kind() != SourceImage {
		var err error
		if co, err = Clone(ctx, repo.Source, b.opts()...); err != nil {
			return nil, nil, err
		}
	}
	lang, err := b.languages.Language(ctx, repo.Language, co)
	if err != nil {
		return nil, nil, fmt.Errorf("repo %s (%s): %w", repo.Name, repo.Source, err)
	}
	return lang, co, nil
}

func (b *Builder) opts() []Option {
	return []Option{WithCacheDir(b.cfg.cacheDir), WithProgress(b.cfg.progress)}
}

func (b *Builder) plan(ctx context.Context, repo Repo) (*buildPlan, error) {
	lang, co, err := b.Language(ctx, repo)
	if err != nil {
		return nil, err
	}
	desc, err := lang.Describe(ctx, &plugin.DescribeRequest{})
	if err != nil {
		return nil, fmt.Errorf("repo %s: describe plugin: %w", repo.Name, err)
	}
	rec, err := lang.Recipe(ctx, &plugin.RecipeRequest{Root: co.Dir, Files: co.Files})
	if err != nil {
		return nil, fmt.Errorf("repo %s: plugin %s recipe: %w", repo.Name, desc.Name, err)
	}
	recipe := docker.DefaultRecipe()
	recipe.Packages = append(append(append([]string(nil), recipe.Packages...), rec.Packages...), repo.Packages...)
	p := &buildPlan{
		repo: repo, co: co, lang: lang, plugin: desc, recipe: recipe,
		setup:   append(append([]string(nil), rec.Setup...), repo.Setup...),
		env:     envList(rec.Env),
		workdir: repo.Source.WorkdirOrDefault(),
	}
	var modules []string
	if needsGoModules(desc.Name, co) {
		if p.goMods, err = b.cfg.downloadGoModules(ctx, repo.Name, co); err != nil {
			return nil, err
		}
		modules = p.goMods.Modules
	}
	// The tag's recipe half covers everything but the commit; the inputs label covers everything.
	recipeDoc, _ := json.Marshal(struct {
		Format, Base, Workdir, Plugin, User string
		Setup, Env, Modules                 []string
	}{imageFormat, recipe.JSON(), p.workdir, desc.Name + "@" + desc.Version, repo.User(), p.setup, p.env, modules})
	p.recipeID = hashHex(recipeDoc)
	p.inputs = hashHex([]byte(co.Commit + "\n" + string(recipeDoc)))
	return p, nil
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Build returns repo's image, building it only when no image with the same inputs exists: the commit, the base
// recipe (default packages ∪ plugin packages ∪ manifest packages), the setup steps (plugin's, then the
// manifest's), the plugin's environment and version. An image source is only checked to exist.
//
// Building clones the code, makes sure the shared base image exists (docker.EnsureBase) and, when the plugin
// or the manifest needs packages beyond it, a package layer on it (see packages.go); copies the checkout with
// its history into the workdir through the engine's archive API, and a Go repository's modules into the
// image's module cache (see gomodules.go); runs the setup steps in a sandbox and commits it. The build log is
// kept under the cache directory; a failed step is a *SetupError with its last lines; lines of setup output
// that start with "warning: " become Image.Warnings.
func (b *Builder) Build(ctx context.Context, repo Repo) (*Image, error) {
	start := b.cfg.now()
	if repo.Source.Kind() == SourceImage {
		return b.existingImage(ctx, repo, start)
	}
	// The checkout is shared by every repo with the same source: hold it from the clone until it is copied.
	unlock, err := lockPath(ctx, filepath.Join(b.cfg.cacheDir, "locks", "build-"+cacheKey(repo.Source.String())))
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", repo.Name, err)
	}
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	p, err := b.plan(ctx, repo)
	if err != nil {
		return nil, err
	}
	img := &Image{
		Repo: repo.Name, Ref: ImageRef(repo.Name, p.co.Commit, p.recipeID), Commit: p.co.Commit, Workdir: p.workdir,
		Language: p.plugin.Name, Plugin: p.plugin.Name + "@" + p.plugin.Version, Env: p.env, User: repo.User(), Inputs: p.inputs,
	}
	if insp, err := b.engine.ImageInspect(ctx, img.Ref); err == nil && insp.Config != nil && insp.Config.Labels[LabelInputs] == p.inputs {
		img.ID, img.Cached, img.Duration = insp.ID, true, b.cfg.now().Sub(start)
		json.Unmarshal([]byte(insp.Config.Labels[LabelWarnings]), &img.Warnings)
		fmt.Fprintf(b.cfg.progress, "%s: image %s is up to date\n", repo.Name, img.Ref)
		return img, nil
	} else if err != nil && !errdefs.IsNotFound(err) {
		return nil, fmt.Errorf("build %s: inspect %s: %w", repo.Name, img.Ref, err)
	}

	logDir := filepath.Join(b.cfg.cacheDir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	img.Log = filepath.Join(logDir, fmt.Sprintf("build-%s-%s.log", repo.Name, start.UTC().Format("20060102T150405.000")))
	logf, err := os.Create(img.Log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	log := io.MultiWriter(logf, b.cfg.progress)
	fmt.Fprintf(log, "%s: building %s (%s at %s, plugin %s)\n", repo.Name, img.Ref, repo.Source, p.co.Commit, img.Plugin)

	// One shared base; the packages beyond it go into a package layer shared by repos that need the same.
	baseRecipe := docker.DefaultRecipe()
	base, err := docker.EnsureBase(ctx, b.engine, baseRecipe, docker.WithProgress(log), docker.WithLockDir(filepath.Join(b.cfg.cacheDir, "locks")))
	if err != nil {
		return nil, fmt.Errorf("build %s: base image: %w (log: %s)", repo.Name, err, img.Log)
	}
	fmt.Fprintf(log, "%s: base image %s (%s)\n", repo.Name, base, baseRecipe.Summary())
	if extra := extraPackages(baseRecipe, p.recipe.Packages); len(extra) > 0 {
		if base, err = b.ensurePackages(ctx, repo, baseRecipe, base, extra, log, logf, img.Log); err != nil {
			return nil, fmt.Errorf("build %s: %w", repo.Name, err)
		}
	}

	limits := repo.Limits.Sandbox()
	limits.Network = repo.SetupNetwork // off unless the manifest asks: setup that downloads needs a reachable registry
	// The last step gives the workdir and the home to the sandbox user; root needs CAP_CHOWN for that.
	limits.CapAdd = []string{"CHOWN"}
	sb, err := b.provider.Start(ctx, sandbox.Spec{Image: base, Workdir: p.workdir, Job: b.cfg.jobFor("build", repo.Name), Role: "build", Env: p.env, User: "root", Limits: limits})
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", repo.Name, err)
	}
	defer sb.Close(context.WithoutCancel(ctx))

	if err := b.copyDir(ctx, sb.ID(), p.co.Dir, p.workdir, nil); err != nil {
		return nil, fmt.Errorf("build %s: copy the checkout into %s: %w", repo.Name, p.workdir, err)
	}
	var setupEnv []string
	if p.goMods != nil {
		dst := goModCacheIn(p.env)
		fmt.Fprintf(log, "%s: copying %d Go modules into %s\n", repo.Name, len(p.goMods.Modules), dst)
		if err := b.copyDir(ctx, sb.ID(), p.goMods.Dir, dst, keepInImage); err != nil {
			return nil, fmt.Errorf("build %s: copy the Go module cache into %s: %w", repo.Name, dst, err)
		}
		if repo.SetupNetwork {
			setupEnv = goSetupEnv(ctx)
		}
	}
	unlock()
	unlock = nil
	// The index came from go-git on the host: refresh its stat data so that git status is fast and exact.
	steps := slices.Concat([]string{"git -c safe.directory='*' update-index -q --refresh; git -c safe.directory='*' status --porcelain --untracked-files=no | head -20", packStep, userSetup, artifactStep}, p.setup)
	if !repo.RunAsRoot {
		steps = append(steps, ownerStep(p.workdir))
	}
	for i, step := range steps {
		fmt.Fprintf(log, "$ %s\n", step)
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"bash", "-c", step + " 2>&1"}, Env: setupEnv, Timeout: repo.Limits.Timeout})
		if err != nil {
			return nil, fmt.Errorf("build %s: run %q: %w (log: %s)", repo.Name, step, err, img.Log)
		}
		logf.Write(res.Stdout)
		logf.Write(res.Stderr)
		if i == 0 && len(bytes.TrimSpace(res.Stdout)) > 0 {
			return nil, fmt.Errorf("build %s: the copied work tree differs from commit %s:\n%s", repo.Name, p.co.Commit, res.Stdout)
		}
		if !res.OK() {
			return nil, &SetupError{Repo: repo.Name, Step: step, ExitCode: res.ExitCode, TimedOut: res.TimedOut,
				Tail: lastLines(string(res.Stdout)+string(res.Stderr), 20), Log: img.Log}
		}
		for _, w := range setupWarnings(string(res.Stdout) + string(res.Stderr)) {
			fmt.Fprintf(b.cfg.progress, "%s: %s\n", repo.Name, w)
			img.Warnings = append(img.Warnings, w)
		}
	}

	envJSON, _ := json.Marshal(rec(p.env))
	changes := []string{
		"WORKDIR " + p.workdir,
		label(LabelRepo, repo.Name), label(LabelInputs, p.inputs), label(LabelCommit, p.co.Commit),
		label(LabelLanguage, p.plugin.Name), label(LabelPlugin, img.Plugin), label(LabelEnv, string(envJSON)),
	}
	if len(img.Warnings) > 0 {
		warnJSON, _ := json.Marshal(img.Warnings)
		changes = append(changes, label(LabelWarnings, string(warnJSON)))
	}
	for _, kv := range p.env {
		k, v, _ := strings.Cut(kv, "=")
		changes = append(changes, "ENV "+k+"="+quote(v))
	}
	// The image's own user is the sandbox user too, so that `ssr shell` and `ssr exec` on it work as the
	// tests do (root could not write the tree it does not own).
	changes = append(changes, "USER "+cmp.Or(img.User, rootUser))
	id, err := sb.Commit(ctx, img.Ref, changes...)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", repo.Name, err)
	}
	img.ID, img.Duration = id, b.cfg.now().Sub(start)
	fmt.Fprintf(log, "%s: built %s in %s\n", repo.Name, img.Ref, img.Duration.Round(time.Millisecond))
	return img, nil
}

func rec(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// label is a LABEL change instruction with the value quoted for the Dockerfile parser.
func label(k, v string) string { return "LABEL " + k + "=" + quote(v) }

func quote(v string) string {
	b, _ := json.Marshal(v) // a JSON string is a valid double-quoted Dockerfile word
	return string(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// existingImage checks an image source and describes it.
func (b *Builder) existingImage(ctx context.Context, repo Repo, start time.Time) (*Image, error) {
	insp, err := b.engine.ImageInspect(ctx, repo.Source.Image)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("repo %s: image %s not found on this engine (load or build it first; nothing is pulled)", repo.Name, repo.Source.Image)
		}
		return nil, fmt.Errorf("repo %s: inspect %s: %w", repo.Name, repo.Source.Image, err)
	}
	if repo.Language == "" {
		return nil, fmt.Errorf("repo %s: an image source needs 'language:' in the manifest (its code is not on the host to detect)", repo.Name)
	}
	lang, err := b.languages.Language(ctx, repo.Language, nil)
	if err != nil {
		return nil, fmt.Errorf("repo %s: %w", repo.Name, err)
	}
	desc, err := lang.Describe(ctx, &plugin.DescribeRequest{})
	if err != nil {
		return nil, fmt.Errorf("repo %s: describe plugin: %w", repo.Name, err)
	}
	return &Image{
		Repo: repo.Name, Ref: repo.Source.Image, ID: insp.ID, Workdir: repo.Source.WorkdirOrDefault(),
		Language: desc.Name, Plugin: desc.Name + "@" + desc.Version, User: repo.User(), Inputs: insp.ID, Cached: true,
		Duration: b.cfg.now().Sub(start),
	}, nil
}

// copyDir sends dir (for a checkout, the work tree and its .git directory) to dst in one tar stream; keep,
// when set, picks the files by their path relative to dir.
func (b *Builder) copyDir(ctx context.Context, containerID, dir, dst string, keep func(rel string) bool) error {
	pr, pw := io.Pipe()
	var wg conc.WaitGroup
	wg.Go(func() { pw.CloseWithError(writeTar(ctx, pw, dir, strings.TrimPrefix(dst, "/"), keep)) })
	err := b.engine.CopyToContainer(ctx, containerID, "/", pr, container.CopyToContainerOptions{})
	pr.CloseWithError(err) // stops the writer when the copy failed half-way
	wg.Wait()
	return err
}

// writeTar writes dir's regular files, directories and symbolic links under prefix, owned by root, with
// fixed times; keep, when set, leaves out the files (not directories) it refuses.
func writeTar(ctx context.Context, w io.Writer, dir, prefix string, keep func(rel string) bool) error {
	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(filepath.Join(prefix, rel))
		if keep != nil && !d.IsDir() && !keep(rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: name, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case info.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, name+"/", 0o755
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, link, 0o777
		case info.Mode().IsRegular():
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, info.Size(), 0o644
			if info.Mode()&0o111 != 0 {
				hdr.Mode = 0o755
			}
		default:
			return nil
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// ImageStatus describes the newest image built for a repo, for listings.
type ImageStatus struct {
	Ref     string
	ID      string
	Commit  string
	Created time.Time
}

// FindImages lists the images built for the repo named name, newest first.
func FindImages(ctx context.Context, engine Engine, name string) ([]ImageStatus, error) {
	list, err := engine.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelRepo+"="+name))})
	if err != nil {
		return nil, err
	}
	var out []ImageStatus
	for _, s := range list {
		st := ImageStatus{ID: s.ID, Commit: s.Labels[LabelCommit], Created: time.Unix(s.Created, 0)}
		for _, t := range s.RepoTags {
			if strings.HasPrefix(t, ImageRepository+"/"+name+":") {
				st.Ref = t
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// setupWarnings picks the lines of a setup step's output that start with "warning: ": what a plugin's step
// could not do and the user should know (a dependency left out, say), without failing the build.
func setupWarnings(out string) []string {
	var ws []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "warning: ") {
			ws = append(ws, l)
		}
	}
	return ws
}
