package main

import (
	"context"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// basePackages are what every Python repository's image needs: the interpreter, Debian's pytest (7.2 on
// bookworm) and git (ssr diffs the working tree).
var basePackages = []string{"python3", "python3-pytest", "git"}

// testExtras are the optional-dependency groups that tests usually need, by the names projects give them.
var testExtras = []string{"test", "tests", "testing", "dev"}

// Recipe lists Debian packages (the base ones plus the repository's declared dependencies that have a known
// Debian package, see debianPackages), no setup steps, and the environment pytest runs with.
//
// Dependencies are read from requirements*.txt (at the root or in a root requirements/ directory, following
// -r includes; files about docs are skipped), pyproject.toml ([project] dependencies and the test/dev
// optional-dependencies, [dependency-groups], Poetry's tables), setup.cfg (install_requires, tests_require,
// the test extras) and, best effort, literal install_requires/tests_require lists in setup.py. The containers
// have no network, so there is no pip step: a dependency without a Debian package is left out.
func (*python) Recipe(ctx context.Context, req *plugin.RecipeRequest) (*plugin.RecipeResponse, error) {
	v := newRepoView(req.Root, req.Files)
	names := declaredDependencies(v)
	pkgs := append([]string(nil), basePackages...)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p] = true
	}
	var extra []string
	for _, n := range names {
		if p, ok := debianPackages[normaliseName(n)]; ok && !seen[p] {
			seen[p] = true
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	pythonPath := "/repo"
	if srcLayout(v) {
		pythonPath = "/repo/src:/repo"
	}
	return &plugin.RecipeResponse{
		Packages: append(pkgs, extra...),
		Setup:    []string{},
		Env: map[string]string{
			"PYTHONPATH":              pythonPath,
			"PYTHONDONTWRITEBYTECODE": "1",
			"PYTHONHASHSEED":          "0",
		},
	}, nil
}

// srcLayout reports a src/ layout: Python code under src/ that is not itself a package.
func srcLayout(v *repoView) bool {
	if v.has("src/__init__.py") {
		return false
	}
	for _, f := range v.files {
		if strings.HasPrefix(f, "src/") && strings.HasSuffix(f, ".py") {
			return true
		}
	}
	return false
}

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// normaliseName is PEP 503's normalisation of a project name.
func normaliseName(n string) string {
	return nameSeparators.ReplaceAllString(strings.ToLower(n), "-")
}

// requirementName extracts the project name from a PEP 508 requirement ("requests[socks]>=2; python_version
// > '3'" → "requests"); "" for lines that name no project (options, paths, URLs, comments).
var (
	requirementNameRE = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)`)
	directURLRE       = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@`)
)

func requirementName(line string) string {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") ||
		strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") {
		return ""
	}
	if strings.Contains(line, "://") { // only "name @ URL" names a project; a bare URL does not
		if m := directURLRE.FindStringSubmatch(line); m != nil {
			return m[1]
		}
		return ""
	}
	return requirementNameRE.FindString(line)
}

// declaredDependencies returns the project names a repository declares, in the order found.
func declaredDependencies(v *repoView) []string {
	var names []string
	add := func(reqs ...string) {
		for _, r := range reqs {
			if n := requirementName(r); n != "" {
				names = append(names, n)
			}
		}
	}
	visited := map[string]bool{}
	for _, f := range v.files {
		if isRequirementsFile(f) && (path.Dir(f) == "." || path.Dir(f) == "requirements") &&
			!strings.Contains(strings.ToLower(path.Base(f)), "doc") {
			add(requirementsLines(v, f, visited, 0)...)
		}
	}
	if b := v.read("pyproject.toml"); b != nil {
		add(pyprojectDependencies(b)...)
	}
	if b := v.read("setup.cfg"); b != nil {
		for _, key := range [][2]string{{"options", "install_requires"}, {"options", "tests_require"}} {
			if s, ok := iniValue(b, key[0], key[1]); ok {
				add(strings.Split(s, "\n")...)
			}
		}
		for _, extra := range testExtras {
			if s, ok := iniValue(b, "options.extras_require", extra); ok {
				add(strings.Split(s, "\n")...)
			}
		}
	}
	if b := v.read("setup.py"); b != nil {
		add(setupPyLists(b)...)
	}
	return names
}

// requirementsLines reads a pip requirements file, following -r includes within the repository.
func requirementsLines(v *repoView, f string, visited map[string]bool, depth int) []string {
	if visited[f] || depth > 5 {
		return nil
	}
	visited[f] = true
	var out []string
	for _, line := range strings.Split(string(v.read(f)), "\n") {
		line = strings.TrimSpace(line)
		for _, opt := range []string{"-r ", "--requirement ", "--requirement="} {
			if strings.HasPrefix(line, opt) {
				inc := path.Join(path.Dir(f), strings.TrimSpace(strings.TrimPrefix(line, opt)))
				out = append(out, requirementsLines(v, inc, visited, depth+1)...)
			}
		}
		out = append(out, line)
	}
	return out
}

func pyprojectDependencies(b []byte) []string {
	var doc struct {
		Project struct {
			Dependencies         []string            `toml:"dependencies"`
			OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		} `toml:"project"`
		DependencyGroups map[string][]any `toml:"dependency-groups"`
		Tool             struct {
			Poetry struct {
				Dependencies    map[string]any `toml:"dependencies"`
				DevDependencies map[string]any `toml:"dev-dependencies"`
				Group           map[string]struct {
					Dependencies map[string]any `toml:"dependencies"`
				} `toml:"group"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(b), &doc); err != nil {
		return nil // a pyproject.toml that does not parse declares nothing we can use
	}
	out := append([]string(nil), doc.Project.Dependencies...)
	poetry := []map[string]any{doc.Tool.Poetry.Dependencies, doc.Tool.Poetry.DevDependencies}
	for _, extra := range testExtras {
		out = append(out, doc.Project.OptionalDependencies[extra]...)
		for _, d := range doc.DependencyGroups[extra] {
			if s, ok := d.(string); ok {
				out = append(out, s)
			}
		}
		poetry = append(poetry, doc.Tool.Poetry.Group[extra].Dependencies)
	}
	for _, m := range poetry {
		keys := make([]string, 0, len(m))
		for k := range m {
			if k != "python" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		out = append(out, keys...)
	}
	return out
}

var (
	setupPyListRE   = regexp.MustCompile(`(?s)(?:install_requires|tests_require)\s*=\s*\[(.*?)\]`)
	setupPyStringRE = regexp.MustCompile(`["']([^"'\n]+)["']`)
)

// setupPyLists finds literal install_requires=[…] and tests_require=[…] lists in a setup.py. It is best
// effort: requirements computed at run time are not seen.
func setupPyLists(b []byte) []string {
	var out []string
	for _, m := range setupPyListRE.FindAllSubmatch(b, -1) {
		for _, s := range setupPyStringRE.FindAllSubmatch(m[1], -1) {
			out = append(out, string(s[1]))
		}
	}
	return out
}
