package main

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// otherSourceExts are source files of other languages; a repository mostly made of them is less likely to be
// one to test with pytest even when it carries a few Python scripts.
var otherSourceExts = map[string]bool{
	".go": true, ".rs": true, ".js": true, ".ts": true, ".tsx": true, ".jsx": true, ".java": true, ".kt": true,
	".c": true, ".cc": true, ".cpp": true, ".h": true, ".hpp": true, ".cs": true, ".rb": true, ".php": true,
	".swift": true, ".scala": true, ".m": true, ".ex": true, ".exs": true, ".hs": true, ".ml": true,
}

// vendoredDirs hold code the repository does not own; their files do not count as evidence.
var vendoredDirs = []string{"node_modules/", ".venv/", "venv/", "site-packages/", ".tox/", "vendor/", "third_party/"}

// Detect scores a repository from its file names and, where the checkout is readable, its pytest
// configuration. The weights are additive and capped at 1:
//
//	project file (pyproject.toml, setup.py, setup.cfg) at the root  0.4
//	requirements*.txt                                               0.1
//	*.py files                                                      up to 0.3 (0.1 per file, three or more: 0.3)
//	pytest test modules (test_*.py, *_test.py)                     0.1
//	pytest configuration (conftest.py, pytest.ini, [pytest] in tox.ini, [tool:pytest] in setup.cfg,
//	[tool.pytest.ini_options] in pyproject.toml)                   0.1
//
// When other languages' sources outnumber the Python files, the score is scaled down by (0.4 + share), share
// being the Python files' fraction of all source files.
func (*python) Detect(ctx context.Context, req *plugin.DetectRequest) (*plugin.DetectResponse, error) {
	v := newRepoView(req.Root, req.Files)
	var (
		projectFiles, requirements, pytestConfig []string
		pyFiles, testModules, otherSources       int
	)
	for _, f := range req.Files {
		f = path.Clean(f)
		if vendored(f) {
			continue
		}
		base := path.Base(f)
		switch {
		case f == "pyproject.toml" || f == "setup.py" || f == "setup.cfg":
			projectFiles = append(projectFiles, f)
		case isRequirementsFile(f):
			requirements = append(requirements, f)
		}
		switch {
		case base == "conftest.py" && len(pytestConfig) < 3:
			pytestConfig = append(pytestConfig, f)
		case f == "pytest.ini":
			pytestConfig = append(pytestConfig, f)
		}
		switch ext := path.Ext(base); {
		case ext == ".py" || ext == ".pyi":
			pyFiles++
			if isTestModule(base) {
				testModules++
			}
		case otherSourceExts[ext]:
			otherSources++
		}
	}
	if b := v.read("tox.ini"); b != nil && contains(iniSections(b), "pytest") {
		pytestConfig = append(pytestConfig, "tox.ini [pytest]")
	}
	if b := v.read("setup.cfg"); b != nil && contains(iniSections(b), "tool:pytest") {
		pytestConfig = append(pytestConfig, "setup.cfg [tool:pytest]")
	}
	if b := v.read("pyproject.toml"); b != nil {
		var doc struct {
			Tool struct {
				Pytest struct {
					IniOptions map[string]any `toml:"ini_options"`
				} `toml:"pytest"`
			} `toml:"tool"`
		}
		if _, err := toml.Decode(string(b), &doc); err == nil && doc.Tool.Pytest.IniOptions != nil {
			pytestConfig = append(pytestConfig, "pyproject.toml [tool.pytest.ini_options]")
		}
	}

	if pyFiles == 0 && len(projectFiles) == 0 {
		return &plugin.DetectResponse{Confidence: 0, Reason: "no *.py files and no Python project file"}, nil
	}
	var (
		score  float64
		reason []string
	)
	if len(projectFiles) > 0 {
		score += 0.4
		reason = append(reason, strings.Join(projectFiles, ", "))
	}
	if len(requirements) > 0 {
		score += 0.1
		reason = append(reason, strings.Join(first(requirements, 2), ", "))
	}
	score += 0.1 * float64(min(pyFiles, 3))
	reason = append(reason, fmt.Sprintf("%d *.py files", pyFiles))
	if testModules > 0 {
		score += 0.1
		reason = append(reason, fmt.Sprintf("%d test modules", testModules))
	}
	if len(pytestConfig) > 0 {
		score += 0.1
		reason = append(reason, "pytest config: "+strings.Join(first(pytestConfig, 3), ", "))
	}
	if otherSources > pyFiles {
		share := float64(pyFiles) / float64(pyFiles+otherSources)
		score *= 0.4 + share
		reason = append(reason, fmt.Sprintf("but %d source files in other languages", otherSources))
	}
	score = min(score, 1)
	// Round so that the same repository always reads the same, whatever the float arithmetic.
	score = float64(int(score*100+0.5)) / 100
	return &plugin.DetectResponse{Confidence: score, Reason: strings.Join(reason, "; ")}, nil
}

func vendored(f string) bool {
	for _, d := range vendoredDirs {
		if strings.HasPrefix(f, d) || strings.Contains(f, "/"+d) {
			return true
		}
	}
	return false
}

// isRequirementsFile matches pip requirement files: requirements*.txt at any depth and *.txt under a
// requirements/ directory.
func isRequirementsFile(f string) bool {
	base := path.Base(f)
	if path.Ext(base) != ".txt" {
		return false
	}
	return strings.HasPrefix(base, "requirements") || strings.HasSuffix(base, "-requirements.txt") ||
		strings.HasSuffix(base, "_requirements.txt") || path.Base(path.Dir(f)) == "requirements"
}

// isTestModule reports whether a file name is one pytest collects by default.
func isTestModule(base string) bool {
	return strings.HasSuffix(base, ".py") && (strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func first(list []string, n int) []string {
	if len(list) > n {
		return append(append([]string(nil), list[:n]...), fmt.Sprintf("%d more", len(list)-n))
	}
	return list
}
