package main

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// basePackages are what every Python repository's image needs: the interpreter, Debian's pytest (8.3 on
// trixie) and git (ssr diffs the working tree).
var basePackages = []string{"python3", "python3-pytest", "git"}

// testExtras are the optional-dependency and dependency-group names that hold what tests need. Dev and docs
// groups are left out: they hold linters, type checkers and doc builders (sphinx, mypy, build) that no test
// imports, and each one costs image size and a chance of a failed install.
var testExtras = []string{"test", "tests", "testing"}

// toolOnly are projects that a test never imports even when a test group lists them: linters, formatters,
// type checkers, doc and packaging tools, task runners. pytest is in every image already.
var toolOnly = map[string]bool{
	"pytest": true, "mypy": true, "black": true, "ruff": true, "flake8": true, "pylint": true, "isort": true,
	"pre-commit": true, "tox": true, "nox": true, "build": true, "twine": true, "wheel": true, "pip": true,
	"sphinx": true, "codespell": true, "pyright": true, "bandit": true, "check-manifest": true,
}

// pipSetup is the setup step for requirements without a Debian package: pip installs them when the image
// build has a network (the manifest's setup_network), else, or when pip fails, one warning line lists them.
// Either way the step succeeds: the baseline shows what their absence breaks. ssr prints lines that start
// with "warning: " from setup output to the user.
const pipSetup = `reqs=(%s)
if python3 -m pip install --break-system-packages --no-input --disable-pip-version-check --retries 0 --timeout 20 -q "${reqs[@]}" >/tmp/ssr-pip.log 2>&1; then
  echo "installed with pip: ${reqs[*]}"
else
  echo "warning: not installed (no Debian package in ssr-lang-python's table, and pip could not install them; pip needs setup_network: true and a reachable package index, or add Debian packages with packages:): ${reqs[*]}"
  tail -n 3 /tmp/ssr-pip.log
fi`

// Recipe lists Debian packages (the base ones plus the repository's runtime and test dependencies that have a
// known Debian package, see debianPackages), a pip step for the dependencies that have none (see pipSetup),
// and the environment pytest runs with.
//
// Dependencies are read from requirements*.txt (at the root or in a root requirements/ directory, following
// -r includes; files about docs, dev or lint are skipped), pyproject.toml ([project] dependencies, the test
// optional-dependencies and [dependency-groups], Poetry's dependencies and test groups), setup.cfg
// (install_requires, tests_require, the test extras) and, best effort, literal install_requires/tests_require
// lists in setup.py. Tools that tests never import (toolOnly) are left out wherever they are listed.
func (*python) Recipe(ctx context.Context, req *plugin.RecipeRequest) (*plugin.RecipeResponse, error) {
	v := newRepoView(req.Root, req.Files)
	pkgs := append([]string(nil), basePackages...)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p] = true
	}
	var extra, viaPip []string
	done := map[string]bool{}
	for _, r := range declaredDependencies(v) {
		n := normaliseName(requirementName(r))
		if done[n] || toolOnly[n] || strings.HasPrefix(n, "sphinx") || strings.HasPrefix(n, "types-") || strings.HasPrefix(n, "flake8") {
			continue
		}
		done[n] = true
		if p, ok := debianPackages[n]; ok {
			if !seen[p] {
				seen[p] = true
				extra = append(extra, p)
			}
			continue
		}
		viaPip = append(viaPip, pipRequirement(r))
	}
	setup := []string{}
	if len(viaPip) > 0 {
		extra = append(extra, "python3-pip")
		setup = append(setup, fmt.Sprintf(pipSetup, strings.Join(quoteAll(viaPip), " ")))
	}
	sort.Strings(extra)
	pythonPath := "/repo"
	if srcLayout(v) {
		pythonPath = "/repo/src:/repo"
	}
	return &plugin.RecipeResponse{
		Packages: append(pkgs, extra...),
		Setup:    setup,
		Env: map[string]string{
			"PYTHONPATH":              pythonPath,
			"PYTHONDONTWRITEBYTECODE": "1",
			"PYTHONHASHSEED":          "0",
		},
	}, nil
}

// pipRequirement is a requirement as pip takes it on the command line: a trailing comment dropped.
func pipRequirement(r string) string {
	if i := strings.Index(r, " #"); i >= 0 {
		r = r[:i]
	}
	return strings.TrimSpace(r)
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

// declaredDependencies returns the requirements (PEP 508 strings that name a project) a repository declares
// for running and testing it, in the order found.
func declaredDependencies(v *repoView) []string {
	var names []string
	add := func(reqs ...string) {
		for _, r := range reqs {
			if n := requirementName(r); n != "" {
				names = append(names, strings.TrimSpace(r))
			}
		}
	}
	visited := map[string]bool{}
	for _, f := range v.files {
		if isRequirementsFile(f) && (path.Dir(f) == "." || path.Dir(f) == "requirements") && !devRequirements(f) {
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

// devRequirements reports a requirements file for docs, development or linting, by its name.
func devRequirements(f string) bool {
	base := strings.ToLower(path.Base(f))
	for _, w := range []string{"doc", "dev", "lint", "style", "typing", "mypy", "release", "build"} {
		if strings.Contains(base, w) {
			return true
		}
	}
	return false
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
	poetry := []map[string]any{doc.Tool.Poetry.Dependencies}
	for _, extra := range testExtras {
		out = append(out, doc.Project.OptionalDependencies[extra]...)
		out = append(out, dependencyGroup(doc.DependencyGroups, extra, 0)...)
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

// dependencyGroup lists a PEP 735 group's requirements, following {include-group = "…"} entries.
func dependencyGroup(groups map[string][]any, name string, depth int) []string {
	if depth > 5 {
		return nil
	}
	var out []string
	for _, d := range groups[name] {
		switch d := d.(type) {
		case string:
			out = append(out, d)
		case map[string]any:
			if inc, ok := d["include-group"].(string); ok {
				out = append(out, dependencyGroup(groups, inc, depth+1)...)
			}
		}
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
