package repos

import (
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

func TestCoverageOwner(t *testing.T) {
	c := &Coverage{Tests: []plugin.TestCoverage{{ID: "example.com/m/p::TestA"}, {ID: "tests/a/test_x.py::test_y[a/b]"}}}
	for id, want := range map[string]string{
		"example.com/m/p::TestA":            "example.com/m/p::TestA",
		"example.com/m/p::TestA/sub/deep":   "example.com/m/p::TestA",
		"example.com/m/p::TestB/sub":        "",
		"tests/a/test_x.py::test_y[a/b]":    "tests/a/test_x.py::test_y[a/b]",
		"tests/a/test_x.py::test_y[a/c]":    "",
		"example.com/m/p/TestA":             "",
		"example.com/m/p::TestAlmost/TestA": "",
	} {
		if got := c.Owner(id); got != want {
			t.Errorf("Owner(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestCoverageOfTestCommand: a manifest test_command is never measured, and nothing is run to learn that.
func TestCoverageOfTestCommand(t *testing.T) {
	b := NewBuilder(nil, nil, nil)
	cov, err := b.Coverage(t.Context(), Repo{Name: "r", TestCommand: "make test"}, &Image{ID: "sha256:x"}, nil, nil)
	if err != nil || !strings.Contains(cov.Unavailable, "test_command") {
		t.Fatalf("Coverage = %+v, %v", cov, err)
	}
	if s := cov.Summary(); !strings.HasPrefix(s, "no per-test coverage: the manifest's test_command") {
		t.Errorf("Summary = %q", s)
	}
}
