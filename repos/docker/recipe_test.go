package docker

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRecipeHash(t *testing.T) {
	a := Recipe{Suite: DefaultSuite, Packages: []string{"git", "python3"}}
	cases := map[string]struct {
		r    Recipe
		same bool
	}{
		"order and duplicates do not matter": {Recipe{Suite: DefaultSuite, Packages: []string{"python3", "git", "git", " "}}, true},
		"defaults are explicit":              {Recipe{Variant: "minbase", Packages: []string{"git", "python3"}}, true},
		"the mirror does not matter":         {Recipe{Suite: DefaultSuite, Packages: []string{"git", "python3"}, Mirror: "http://mirror.example/debian"}, true},
		"another package":                    {Recipe{Suite: DefaultSuite, Packages: []string{"git"}}, false},
		"another suite":                      {Recipe{Suite: "bookworm", Packages: []string{"git", "python3"}}, false},
	}
	for name, c := range cases {
		if got := c.r.Hash() == a.Hash(); got != c.same {
			t.Errorf("%s: same hash %v, want %v (%s vs %s)", name, got, c.same, c.r.JSON(), a.JSON())
		}
	}
	if len(a.Hash()) != 12 || !strings.HasPrefix(a.Ref(), "ssr-base:") {
		t.Errorf("Ref() = %q", a.Ref())
	}
	if got, want := DefaultRecipe().JSON(), `{"suite":"trixie","variant":"minbase","packages":["ca-certificates","git","golang-go","procps","python3","python3-coverage","python3-pytest","python3-pytest-cov"]}`; got != want {
		t.Errorf("DefaultRecipe().JSON() = %s, want %s (changing it rebuilds every machine's base image)", got, want)
	}
}

func TestRecipeValidate(t *testing.T) {
	for name, r := range map[string]Recipe{
		"comma in a package": {Packages: []string{"git,curl"}},
		"option as package":  {Packages: []string{"--foo"}},
		"shell in suite":     {Suite: "bookworm;rm"},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, r)
		}
	}
	if err := DefaultRecipe().Validate(); err != nil {
		t.Errorf("DefaultRecipe: %v", err)
	}
}

// A recipe whose image is missing checks the host before anything else: each error is one line with the fix.
func TestEnsureBaseHostChecks(t *testing.T) {
	defer func(l func() (string, error), e func() int) { lookDebootstrap, geteuid = l, e }(lookDebootstrap, geteuid)
	missing := missingImages{}
	r := Recipe{Packages: []string{"ssr-test-never-built"}}

	lookDebootstrap = func() (string, error) { return "", ErrNoDebootstrap }
	_, err := EnsureBase(context.Background(), missing, r)
	if !errors.Is(err, ErrNoDebootstrap) || !strings.Contains(err.Error(), "apt-get install debootstrap") {
		t.Errorf("without debootstrap: %v", err)
	}
	lookDebootstrap = func() (string, error) { return "/usr/sbin/debootstrap", nil }
	geteuid = func() int { return 1000 }
	_, err = EnsureBase(context.Background(), missing, r)
	if !errors.Is(err, ErrNotRoot) || strings.Contains(err.Error(), "\n") {
		t.Errorf("as a user: %v", err)
	}
	if _, err := EnsureBase(context.Background(), missing, Recipe{Packages: []string{"a,b"}}); err == nil {
		t.Errorf("a bad recipe was accepted")
	}
}
