package repos

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/docker"
)

func TestExtraPackages(t *testing.T) {
	base := docker.Recipe{Packages: []string{"git", "python3"}}
	for name, c := range map[string]struct {
		want, extra []string
	}{
		"all in the base":   {[]string{"python3", "git"}, nil},
		"sorted and unique": {[]string{"python3-attr", "git", "jq", "python3-attr", " "}, []string{"jq", "python3-attr"}},
		"nothing asked for": {nil, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if got := extraPackages(base, c.want); !slices.Equal(got, c.extra) {
				t.Fatalf("extraPackages(%q) = %q, want %q", c.want, got, c.extra)
			}
		})
	}
	a, b := packageLayerRef(base, []string{"jq"}), packageLayerRef(base, []string{"jq", "python3-attr"})
	if a == b || !strings.HasPrefix(a, docker.BaseRepository+":"+base.Hash()+"-") {
		t.Fatalf("layer refs %s and %s", a, b)
	}
}

func TestSetupWarnings(t *testing.T) {
	out := "installing\nwarning: not installed (...): foo bar\n  warning: second\nno warning: here\n"
	if got := setupWarnings(out); !slices.Equal(got, []string{"warning: not installed (...): foo bar", "warning: second"}) {
		t.Fatalf("setupWarnings = %q", got)
	}
}

// TestPythonDependenciesFromDebian: a Python repository whose pyproject needs attrs (python3-attr in Debian)
// and a project Debian lacks builds on the shared base with a package layer; its baseline passes with attrs
// imported, and the project pip could not install (no network for setup) is listed in one warning.
func TestPythonDependenciesFromDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images on the Docker Engine")
	}
	b, cli := testBuilder(t)
	ctx := context.Background()
	dir := writeTree(t, map[string]string{
		"pyproject.toml": "[project]\nname = \"points\"\nversion = \"0.1\"\ndependencies = [\"attrs>=22\"]\n" +
			"[project.optional-dependencies]\ntest = [\"no-such-project-ssr-test>=1\"]\ndocs = [\"sphinx\"]\n",
		"points.py": "import attr\n\n\n@attr.s(frozen=True)\nclass Point:\n    x = attr.ib()\n    y = attr.ib()\n\n    def norm1(self):\n        return abs(self.x) + abs(self.y)\n",
		"tests/test_points.py": "from points import Point\n\n\ndef test_norm1():\n    assert Point(3, -4).norm1() == 7\n\n\n" +
			"def test_frozen():\n    import attr\n    p = Point(1, 2)\n    try:\n        p.x = 5\n    except attr.exceptions.FrozenInstanceError:\n        return\n    raise AssertionError('not frozen')\n",
	})
	repo := Repo{Name: uniqueName(t, cli, "test-pydeps"), Source: Source{Path: dir}}
	img, err := b.Build(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %s", img.Ref, img.Duration)
	if len(img.Warnings) != 1 || !strings.Contains(img.Warnings[0], "no-such-project-ssr-test") || strings.Contains(img.Warnings[0], "sphinx") {
		t.Fatalf("warnings %q; want one naming no-such-project-ssr-test", img.Warnings)
	}
	bl, err := b.Baseline(ctx, repo, img)
	if err != nil {
		t.Fatal(err)
	}
	if got := bl.Passing(); !slices.Equal(got, []string{"tests/test_points.py::test_frozen", "tests/test_points.py::test_norm1"}) {
		t.Fatalf("passing %v; output:\n%s", got, bl.Runs[0].Output)
	}
	again, err := b.Build(ctx, repo)
	if err != nil || !again.Cached || len(again.Warnings) != 1 {
		t.Fatalf("second build: cached %v, warnings %q, err %v", again != nil && again.Cached, again.Warnings, err)
	}
}
