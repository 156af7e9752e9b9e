package repos

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Sentinel errors callers branch on; the errors returned wrap them with the input that failed.
var (
	// ErrInvalidManifest marks a manifest that does not parse or does not validate (see *ManifestError).
	ErrInvalidManifest = errors.New("invalid manifest")
	// ErrUnknownRepo is returned when a manifest has no repo of the name asked for.
	ErrUnknownRepo = errors.New("unknown repo")
	// ErrDuplicateRepo is returned when a repo's name is already taken in a manifest.
	ErrDuplicateRepo = errors.New("duplicate repo")
)

// DefaultWorkdir is where a repo's code lives inside its image: the sandbox's default, defined there once.
const DefaultWorkdir = sandbox.DefaultWorkdir

// Manifest is a parsed manifest file: the repositories a user works with.
type Manifest struct {
	File  string `json:"file"` // the name errors use, usually the path it was read from
	Repos []Repo `json:"repos"`
}

// Repo is one manifest entry: a codebase at a fixed point, how to get it and how to test it.
type Repo struct {
	Name         string   `json:"name" yaml:"name"`
	Source       Source   `json:"source" yaml:",inline"`
	Language     string   `json:"language,omitempty" yaml:"language,omitempty"`           // plugin name; empty means detect
	Packages     []string `json:"packages,omitempty" yaml:"packages,omitempty"`           // extra Debian packages
	Setup        []string `json:"setup,omitempty" yaml:"setup,omitempty"`                 // extra setup commands, run from the workdir
	SetupNetwork bool     `json:"setup_network,omitempty" yaml:"setup_network,omitempty"` // give the image build a network (off: every sandbox has none)
	RunAsRoot    bool     `json:"run_as_root,omitempty" yaml:"run_as_root,omitempty"`     // run tests and agents' commands as root (off: as SandboxUser; see User)
	TestCommand  string   `json:"test_command,omitempty" yaml:"test_command,omitempty"`   // overrides the plugin's script
	ExcludeTests []string `json:"exclude_tests,omitempty" yaml:"exclude_tests,omitempty"`
	Limits       Limits   `json:"limits" yaml:"limits,omitempty"`
	Line         int      `json:"line,omitempty" yaml:"-"` // where the entry starts in its manifest; 0 when built in code
}

// SourceKind says where a repo's code comes from.
type SourceKind string

// Source kinds.
const (
	SourceGit     SourceKind = "git"     // a git URL or local repository, at a commit or branch
	SourcePath    SourceKind = "path"    // a local directory, git or not, taken as it is
	SourceImage   SourceKind = "image"   // an existing image with the code at Workdir
	SourceExample SourceKind = "example" // a built-in example repository (package repos/examples)
)

// Source is exactly one of Git, Path, Image or Example.
type Source struct {
	Git     string `json:"git,omitempty" yaml:"git,omitempty"`
	Commit  string `json:"commit,omitempty" yaml:"commit,omitempty"` // with Git: check out this commit
	Branch  string `json:"branch,omitempty" yaml:"branch,omitempty"` // with Git: the tip of this branch
	Path    string `json:"path,omitempty" yaml:"path,omitempty"`
	Image   string `json:"image,omitempty" yaml:"image,omitempty"`
	Workdir string `json:"workdir,omitempty" yaml:"workdir,omitempty"` // with Image: where the code is; default /repo
	Example string `json:"example,omitempty" yaml:"example,omitempty"`
}

// Kind says which source is set; "" when none is.
func (s Source) Kind() SourceKind {
	switch {
	case s.Git != "":
		return SourceGit
	case s.Path != "":
		return SourcePath
	case s.Image != "":
		return SourceImage
	case s.Example != "":
		return SourceExample
	}
	return ""
}

// String is a one-line description for listings, e.g. "git https://x/y.git@main".
func (s Source) String() string {
	switch s.Kind() {
	case SourceGit:
		switch {
		case s.Commit != "":
			return "git " + s.Git + "@" + s.Commit
		case s.Branch != "":
			return "git " + s.Git + "@" + s.Branch
		}
		return "git " + s.Git
	case SourcePath:
		return "path " + s.Path
	case SourceImage:
		return "image " + s.Image + " (" + s.WorkdirOrDefault() + ")"
	case SourceExample:
		return "example " + s.Example
	}
	return "none"
}

// WorkdirOrDefault is Workdir, or /repo when it is empty.
func (s Source) WorkdirOrDefault() string {
	if s.Workdir == "" {
		return DefaultWorkdir
	}
	return s.Workdir
}

// Limits bound every sandbox made from a repo's image. Zero values mean the sandbox backend's defaults.
type Limits struct {
	Memory  int64         `json:"memory,omitempty"`  // bytes
	CPUs    float64       `json:"cpus,omitempty"`    // fractional CPUs
	PIDs    int64         `json:"pids,omitempty"`    // processes
	Timeout time.Duration `json:"timeout,omitempty"` // per test run
}

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool { return l == Limits{} }

// Sandbox maps the manifest's limits onto a sandbox's: the one place the two vocabularies meet. A zero field
// stays zero, which the sandbox reads as its default.
func (l Limits) Sandbox() sandbox.Limits {
	return sandbox.Limits{Memory: l.Memory, NanoCPUs: int64(l.CPUs * 1e9), Pids: l.PIDs, ExecTimeout: l.Timeout}
}

// MarshalYAML writes limits in the manifest's notation (memory "2g", timeout "10m").
func (l Limits) MarshalYAML() (any, error) {
	m := map[string]any{}
	if l.Memory != 0 {
		m["memory"] = FormatSize(l.Memory)
	}
	if l.CPUs != 0 {
		m["cpus"] = l.CPUs
	}
	if l.PIDs != 0 {
		m["pids"] = l.PIDs
	}
	if l.Timeout != 0 {
		m["timeout"] = l.Timeout.String()
	}
	return m, nil
}

// Repo returns the entry named name.
func (m *Manifest) Repo(name string) (Repo, error) {
	for _, r := range m.Repos {
		if r.Name == name {
			return r, nil
		}
	}
	names := make([]string, len(m.Repos))
	for i, r := range m.Repos {
		names[i] = r.Name
	}
	known := "it has none"
	if len(names) > 0 {
		known = "it has " + strings.Join(names, ", ")
	}
	return Repo{}, fmt.Errorf("%w %q in %s (%s; add one with 'ssr repos add')", ErrUnknownRepo, name, m.File, known)
}

// Excluded reports whether the protocol ignores the test id: it equals one of ExcludeTests or matches one as
// a glob where '*' matches any run of characters and '?' any one (brackets are literal, as in pytest ids).
func (r Repo) Excluded(id string) bool {
	for _, p := range r.ExcludeTests {
		if p == id || globMatch(p, id) {
			return true
		}
	}
	return false
}

// globMatch matches s against p with '*' and '?' wildcards only.
func globMatch(p, s string) bool {
	// Iterative matching with backtracking to the last star: linear in practice, never exponential.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// ManifestError is one problem in a manifest, with its position. Its message reads
// `manifest.yaml:12: repos[1].limits.memory: "2x" is not a size (use e.g. 512m or 2g)`.
type ManifestError struct {
	File  string // manifest name
	Line  int    // 1-based; 0 when unknown
	Field string // e.g. repos[1].limits.memory; empty for file-level problems
	Msg   string
	Err   error // the cause, when there is one (a YAML syntax error)
}

func (e *ManifestError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the cause and ErrInvalidManifest, so errors.Is(err, ErrInvalidManifest) holds.
func (e *ManifestError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidManifest, e.Err}
	}
	return []error{ErrInvalidManifest}
}

// LoadManifest reads and parses the manifest at path.
func LoadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := ParseManifest(path, data)
	if err != nil {
		return nil, err
	}
	// Relative local paths are relative to the manifest, not to wherever ssr runs.
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	for i := range m.Repos {
		m.Repos[i].Source = m.Repos[i].Source.resolve(base)
	}
	return m, nil
}

// resolve makes relative local paths absolute against dir.
func (s Source) resolve(dir string) Source {
	if s.Path != "" && !filepath.IsAbs(s.Path) {
		s.Path = filepath.Join(dir, s.Path)
	}
	if s.Git != "" && isLocalGit(s.Git) && !filepath.IsAbs(s.Git) {
		s.Git = filepath.Join(dir, s.Git)
	}
	return s
}

// isLocalGit reports whether a git source is a plain local path (not a URL, not scp-like user@host:path).
func isLocalGit(src string) bool {
	if strings.Contains(src, "://") {
		return false
	}
	if i := strings.Index(src, ":"); i > 0 && !strings.Contains(src[:i], "/") {
		return false // host:path
	}
	return true
}

// ParseManifest parses a manifest's content; name is the file name errors carry. The first problem found is
// returned as a *ManifestError.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	p := &parser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, p.syntaxError(err)
	}
	m := &Manifest{File: name}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, p.errf(nil, "", "the manifest is empty (it needs a list under 'repos:')")
	}
	root := doc.Content[0]
	if err := p.manifest(root, m); err != nil {
		return nil, err
	}
	return m, nil
}

type parser struct{ file string }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) syntaxError(err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &ManifestError{File: p.file, Line: line, Msg: "not valid YAML: " + msg, Err: err}
}

func (p *parser) errf(n *yaml.Node, field, format string, args ...any) error {
	e := &ManifestError{File: p.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// mapping checks that n is a mapping with known keys only and no key twice, and returns its pairs.
func (p *parser) mapping(n *yaml.Node, field string, known []string) ([][2]*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, field, "want a mapping of %s, got %s", strings.Join(known, ", "), describe(n))
	}
	seen := map[string]bool{}
	var pairs [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, p.errf(k, field, "keys must be plain names")
		}
		if k.Value == "<<" {
			return nil, p.errf(k, field, "merge keys (<<) are not supported; write the fields out")
		}
		kf := join(field, k.Value)
		if !contains(known, k.Value) {
			return nil, p.errf(k, kf, "unknown field (known: %s)", strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return nil, p.errf(k, kf, "field given twice")
		}
		seen[k.Value] = true
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	return pairs, nil
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

var topFields = []string{"repos"}

var repoFields = []string{"name", "git", "commit", "branch", "path", "image", "workdir", "example",
	"language", "packages", "setup", "setup_network", "run_as_root", "test_command", "exclude_tests", "limits"}

var limitFields = []string{"memory", "cpus", "pids", "timeout"}

func (p *parser) manifest(root *yaml.Node, m *Manifest) error {
	pairs, err := p.mapping(root, "", topFields)
	if err != nil {
		return err
	}
	var list *yaml.Node
	for _, kv := range pairs {
		list = kv[1]
	}
	if list == nil {
		return p.errf(root, "", "no 'repos:' list")
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return nil // "repos:" with nothing yet
	}
	if list.Kind != yaml.SequenceNode {
		return p.errf(list, "repos", "want a list of repos, got %s", describe(list))
	}
	names := map[string]int{}
	for i, item := range list.Content {
		field := fmt.Sprintf("repos[%d]", i)
		r, err := p.repo(item, field)
		if err != nil {
			return err
		}
		if prev, ok := names[r.Name]; ok {
			return p.errf(item, field+".name", "%q is already used by repos[%d] (names must be unique)", r.Name, prev)
		}
		names[r.Name] = i
		m.Repos = append(m.Repos, r)
	}
	return nil
}

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9._-]+$`)
	languageRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
	commitRE   = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	packageRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.+~:-]+)?$`)
	branchRE   = regexp.MustCompile(`^[^\s~^:?*\[\\]+$`)
)

func (p *parser) repo(n *yaml.Node, field string) (Repo, error) {
	pairs, err := p.mapping(n, field, repoFields)
	if err != nil {
		return Repo{}, err
	}
	r := Repo{Line: n.Line}
	nodes := map[string]*yaml.Node{}
	for _, kv := range pairs {
		k, v := kv[0].Value, kv[1]
		nodes[k] = v
		f := join(field, k)
		switch k {
		case "name":
			r.Name, err = p.str(v, f)
			if err == nil && !nameRE.MatchString(r.Name) {
				err = p.errf(v, f, "%q is not a valid name (use lower-case letters, digits, '.', '_' and '-')", r.Name)
			}
		case "git":
			r.Source.Git, err = p.str(v, f)
		case "commit":
			r.Source.Commit, err = p.str(v, f)
			if err == nil && !commitRE.MatchString(r.Source.Commit) {
				err = p.errf(v, f, "%q is not a commit hash (use 7 to 40 lower-case hex digits)", r.Source.Commit)
			}
		case "branch":
			r.Source.Branch, err = p.str(v, f)
			if err == nil && !branchRE.MatchString(r.Source.Branch) {
				err = p.errf(v, f, "%q is not a branch name", r.Source.Branch)
			}
		case "path":
			r.Source.Path, err = p.str(v, f)
		case "image":
			r.Source.Image, err = p.str(v, f)
			if err == nil && strings.ContainsAny(r.Source.Image, " \t") {
				err = p.errf(v, f, "%q is not an image reference (no spaces)", r.Source.Image)
			}
		case "workdir":
			r.Source.Workdir, err = p.str(v, f)
			if err == nil && !strings.HasPrefix(r.Source.Workdir, "/") {
				err = p.errf(v, f, "%q is not an absolute path (use e.g. /repo)", r.Source.Workdir)
			}
		case "example":
			r.Source.Example, err = p.str(v, f)
			if err == nil && !nameRE.MatchString(r.Source.Example) {
				err = p.errf(v, f, "%q is not an example name (see 'ssr repos add --help')", r.Source.Example)
			}
		case "language":
			r.Language, err = p.str(v, f)
			if err == nil && !languageRE.MatchString(r.Language) {
				err = p.errf(v, f, "%q is not a plugin name (use e.g. python or go)", r.Language)
			}
		case "packages":
			r.Packages, err = p.strs(v, f, func(s string) string {
				if !packageRE.MatchString(s) {
					return fmt.Sprintf("%q is not a Debian package name", s)
				}
				return ""
			})
		case "setup":
			r.Setup, err = p.strs(v, f, nil)
		case "setup_network":
			r.SetupNetwork, err = p.boolean(v, f)
		case "run_as_root":
			r.RunAsRoot, err = p.boolean(v, f)
		case "test_command":
			r.TestCommand, err = p.str(v, f)
		case "exclude_tests":
			r.ExcludeTests, err = p.strs(v, f, nil)
		case "limits":
			r.Limits, err = p.limits(v, f)
		}
		if err != nil {
			return Repo{}, err
		}
	}
	if _, ok := nodes["name"]; !ok {
		return Repo{}, p.errf(n, field, "no name (every repo needs 'name:')")
	}
	var sources []string
	for _, k := range []string{"git", "path", "image", "example"} {
		if nodes[k] != nil {
			sources = append(sources, k)
		}
	}
	switch len(sources) {
	case 0:
		return Repo{}, p.errf(n, field, "no source (give one of git, path, image or example)")
	case 1:
	default:
		return Repo{}, p.errf(nodes[sources[1]], join(field, sources[1]),
			"only one source per repo (this one also has %s)", sources[0])
	}
	only := func(key string, kinds ...string) error {
		if v := nodes[key]; v != nil && !contains(kinds, sources[0]) {
			return p.errf(v, join(field, key), "only applies to a %s source", strings.Join(kinds, " or "))
		}
		return nil
	}
	for _, c := range []struct {
		key   string
		kinds []string
	}{{"commit", []string{"git"}}, {"branch", []string{"git"}}, {"workdir", []string{"image"}}} {
		if err := only(c.key, c.kinds...); err != nil {
			return Repo{}, err
		}
	}
	if nodes["commit"] != nil && nodes["branch"] != nil {
		return Repo{}, p.errf(nodes["branch"], join(field, "branch"), "give commit or branch, not both")
	}
	return r, nil
}

func (p *parser) boolean(n *yaml.Node, field string) (bool, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, p.errf(n, field, "want true or false, got %s", describe(n))
	}
	return n.Value == "true", nil
}

func (p *parser) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, field, "want a string, got %s", describe(n))
	}
	if strings.TrimSpace(n.Value) == "" {
		return "", p.errf(n, field, "is empty")
	}
	return n.Value, nil
}

func (p *parser) strs(n *yaml.Node, field string, check func(string) string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, field, "want a list of strings, got %s", describe(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, err := p.str(item, f)
		if err != nil {
			return nil, err
		}
		if check != nil {
			if msg := check(s); msg != "" {
				return nil, p.errf(item, f, "%s", msg)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) limits(n *yaml.Node, field string) (Limits, error) {
	pairs, err := p.mapping(n, field, limitFields)
	if err != nil {
		return Limits{}, err
	}
	var l Limits
	for _, kv := range pairs {
		k, v := kv[0].Value, kv[1]
		f := join(field, k)
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return Limits{}, p.errf(v, f, "want a value, got %s", describe(v))
		}
		switch k {
		case "memory":
			l.Memory, err = ParseSize(v.Value)
			if err != nil {
				return Limits{}, p.errf(v, f, "%q is not a size (use e.g. 512m or 2g)", v.Value)
			}
			if l.Memory < sandbox.MinMemory {
				return Limits{}, p.errf(v, f, "%q is too small (a sandbox needs at least %s)", v.Value, FormatSize(sandbox.MinMemory))
			}
		case "cpus":
			l.CPUs, err = strconv.ParseFloat(v.Value, 64)
			if err != nil || l.CPUs <= 0 || l.CPUs > 1024 {
				return Limits{}, p.errf(v, f, "%q is not a CPU count (use e.g. 1 or 1.5)", v.Value)
			}
		case "pids":
			l.PIDs, err = strconv.ParseInt(v.Value, 10, 64)
			if err != nil || l.PIDs <= 0 {
				return Limits{}, p.errf(v, f, "%q is not a process count (use a positive integer, e.g. 512)", v.Value)
			}
			if l.PIDs < sandbox.MinPids {
				return Limits{}, p.errf(v, f, "%q is too few (a sandbox needs at least %d to run a shell and a command)", v.Value, sandbox.MinPids)
			}
		case "timeout":
			l.Timeout, err = time.ParseDuration(v.Value)
			if err != nil || l.Timeout <= 0 {
				return Limits{}, p.errf(v, f, "%q is not a duration (use e.g. 90s or 10m)", v.Value)
			}
		}
	}
	// The sandbox's own rule is the last word, so that a manifest that loads can start its sandboxes.
	if err := l.Sandbox().Validate(); err != nil {
		return Limits{}, p.errf(n, field, "%v", err)
	}
	return l, nil
}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?$`)

// ParseSize parses a byte size such as 512m, 2g, 1.5G, 64MiB or 1048576 (binary multiples).
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (use e.g. 512m or 2g)", s)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (use e.g. 512m or 2g)", s)
	}
	mult := map[string]float64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m[2]]
	v := f * mult
	if v >= 1<<62 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(v), nil
}

// FormatSize writes bytes in ParseSize's notation, using the largest unit that divides evenly.
func FormatSize(n int64) string {
	for _, u := range []struct {
		s string
		v int64
	}{{"t", 1 << 40}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n >= u.v && n%u.v == 0 {
			return strconv.FormatInt(n/u.v, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}
