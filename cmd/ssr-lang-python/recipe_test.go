package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

func TestRecipe(t *testing.T) {
	tests := map[string]struct {
		files      map[string]string
		extra      []string // packages beyond the base ones, sorted
		pythonPath string
		pip        []string // requirements the pip step installs, quoted; none: no setup step
	}{
		"no dependencies": {map[string]string{"m.py": ""}, nil, "/repo", nil},
		"requirements with includes, markers, URLs and unknown names": {map[string]string{
			"requirements.txt":      "# comment\nrequests[socks]>=2.0 ; python_version > '3'\n-r requirements-dev.txt\nPyYAML==6.0\n-e .\n./local/pkg\nhttps://example.com/x.tar.gz\nattrs @ https://example.com/attrs.whl\nnot-in-debian-xyz\n",
			"requirements-dev.txt":  "pytest-mock\n--requirement requirements.txt\n",
			"docs/requirements.txt": "sphinx\n",
			"requirements/docs.txt": "sphinx\n",
			"requirements/test.txt": "freezegun\n",
			"src/pkg/__init__.py":   "",
		}, []string{"python3-attr", "python3-freezegun", "python3-pip", "python3-pytest-mock", "python3-requests", "python3-yaml"}, "/repo/src:/repo", []string{"'not-in-debian-xyz'"}},
		"pyproject": {map[string]string{
			"pyproject.toml": `[project]
name = "x"
dependencies = ["Jinja2>=3", "python-dateutil", "typing_extensions; python_version<'3.10'"]
[project.optional-dependencies]
test = ["hypothesis", "pytest>=7"]
docs = ["sphinx"]
[dependency-groups]
dev = ["responses", {include-group = "test"}]
`,
			"x.py": "",
		}, []string{"python3-dateutil", "python3-hypothesis", "python3-jinja2", "python3-typing-extensions"}, "/repo", nil},
		"runtime and test groups only, no dev, docs or lint tools": {map[string]string{
			"pyproject.toml": `[project]
name = "x"
dependencies = ["attrs>=22"]
[project.optional-dependencies]
dev = ["mypy", "responses"]
docs = ["sphinx", "furo"]
tests = ["pytest>=8", "pytest-cov", "mypy", "sphinx-autodoc-typehints", "types-requests", 'uncommon-lib>=1.2; python_version>="3.9"']
[dependency-groups]
lint = ["ruff"]
test = [{include-group = "fixtures"}, "freezegun"]
fixtures = ["faker"]
`,
			"requirements-lint.txt": "flake8\npylint\n",
			"requirements-dev.txt":  "black\n",
			"requirements-test.txt": "mock\n",
		}, []string{"python3-attr", "python3-fake-factory", "python3-freezegun", "python3-mock", "python3-pip", "python3-pytest-cov"}, "/repo", []string{`'uncommon-lib>=1.2; python_version>="3.9"'`}},
		"poetry": {map[string]string{
			"pyproject.toml": "[tool.poetry.dependencies]\npython = \"^3.9\"\nclick = \"^8\"\n[tool.poetry.group.dev.dependencies]\nmock = \"*\"\n",
		}, []string{"python3-click"}, "/repo", nil},
		"setup.cfg": {map[string]string{
			"setup.cfg": "[metadata]\nname = x\n\n[options]\ninstall_requires =\n    numpy>=1.20\n    # a comment\n    scipy\npython_requires = >=3.8\n\n[options.extras_require]\ntesting =\n    pytest-cov\ndocs =\n    sphinx\n",
		}, []string{"python3-numpy", "python3-pytest-cov", "python3-scipy"}, "/repo", nil},
		"setup.py literal lists": {map[string]string{
			"setup.py": "from setuptools import setup\nsetup(name='x', install_requires=['six', \"Pillow>=9\"], tests_require=['nose'])\n",
		}, []string{"python3-nose", "python3-pil", "python3-six"}, "/repo", nil},
		"src that is a package": {map[string]string{"src/__init__.py": "", "src/a.py": ""}, nil, "/repo", nil},
		"broken pyproject":      {map[string]string{"pyproject.toml": "[project\n"}, nil, "/repo", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			root, files := writeRepo(t, tc.files)
			r, err := (&python{}).Recipe(ctx, &plugin.RecipeRequest{Root: root, Files: files})
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]string(nil), basePackages...), tc.extra...)
			if !slices.Equal(r.Packages, want) {
				t.Errorf("packages %q, want %q", r.Packages, want)
			}
			if r.Env["PYTHONPATH"] != tc.pythonPath || r.Env["PYTHONDONTWRITEBYTECODE"] != "1" || r.Env["PYTHONHASHSEED"] != "0" {
				t.Errorf("env %v", r.Env)
			}
			switch {
			case tc.pip == nil && (r.Setup == nil || len(r.Setup) != 0):
				t.Errorf("setup %q, want empty", r.Setup)
			case tc.pip != nil && (len(r.Setup) != 1 || !strings.Contains(r.Setup[0], "reqs=("+strings.Join(tc.pip, " ")+")") || !strings.Contains(r.Setup[0], "warning: not installed")):
				t.Errorf("setup %q, want one pip step for %s", r.Setup, tc.pip)
			}
		})
	}
}

func TestNormaliseName(t *testing.T) {
	for in, want := range map[string]string{"PyYAML": "pyyaml", "ruamel.yaml": "ruamel-yaml", "typing__extensions": "typing-extensions", "zope.interface": "zope-interface"} {
		if got := normaliseName(in); got != want {
			t.Errorf("normaliseName(%q) = %q, want %q", in, got, want)
		}
	}
	for k := range debianPackages {
		if normaliseName(k) != k {
			t.Errorf("debianPackages key %q is not normalised", k)
		}
	}
}
