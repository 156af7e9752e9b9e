package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// DefaultMirror is the Debian mirror that debootstrap uses unless told otherwise.
const DefaultMirror = "http://deb.debian.org/debian"

// BaseRepository is the repository name of every base image; the tag is the recipe's hash.
const BaseRepository = "ssr-base"

// Recipe says how a base image is made. Two recipes with the same suite, variant and package set make the
// same image, whatever the mirror, so the mirror is not part of the hash.
type Recipe struct {
	Suite    string   `json:"suite"`
	Variant  string   `json:"variant"`
	Packages []string `json:"packages"`
	Mirror   string   `json:"-"`
}

// DefaultSuite is the Debian release base images are made from: trixie (Debian 13) ships Go 1.24, Python 3.13
// and pytest 8.3, new enough for most repositories (bookworm's Go 1.19 cannot build most current modules).
const DefaultSuite = "trixie"

// DefaultRecipe is the one base image that the built-in examples and all tests share, so a machine
// bootstraps it once. python3-coverage and python3-pytest-cov are there for the baseline's per-test coverage
// (coverage.py with a context per test), which decides which tests an artifact runs.
func DefaultRecipe() Recipe {
	return Recipe{
		Suite:    DefaultSuite,
		Variant:  "minbase",
		Packages: []string{"python3", "python3-pytest", "python3-coverage", "python3-pytest-cov", "git", "golang-go", "ca-certificates", "procps"},
	}
}

// canonical returns the recipe with defaults filled in and the packages sorted and deduplicated.
func (r Recipe) canonical() Recipe {
	if r.Suite == "" {
		r.Suite = DefaultSuite
	}
	if r.Variant == "" {
		r.Variant = "minbase"
	}
	if r.Mirror == "" {
		r.Mirror = DefaultMirror
	}
	pkgs := make([]string, 0, len(r.Packages))
	for _, p := range r.Packages {
		if p = strings.TrimSpace(p); p != "" {
			pkgs = append(pkgs, p)
		}
	}
	slices.Sort(pkgs)
	r.Packages = slices.Compact(pkgs)
	return r
}

// Validate rejects recipes that debootstrap would misread.
func (r Recipe) Validate() error {
	c := r.canonical()
	for _, s := range append([]string{c.Suite, c.Variant}, c.Packages...) {
		if strings.ContainsAny(s, ", \t\n'\"\\$`;|&") || strings.HasPrefix(s, "-") {
			return fmt.Errorf("base image recipe: bad name %q: suites, variants and packages are plain Debian names", s)
		}
	}
	return nil
}

// JSON is the recipe's canonical JSON, stored in the image's ssr.recipe label.
func (r Recipe) JSON() string {
	b, _ := json.Marshal(r.canonical())
	return string(b)
}

// Hash is the first 12 hex digits of sha256 over the canonical JSON; it is the base image's tag.
func (r Recipe) Hash() string {
	sum := sha256.Sum256([]byte(r.JSON()))
	return hex.EncodeToString(sum[:])[:12]
}

// Ref is the base image's reference, ssr-base:<hash>.
func (r Recipe) Ref() string { return BaseRepository + ":" + r.Hash() }

// Summary is a short human description, e.g. "bookworm/minbase + git, python3 (2 packages)".
func (r Recipe) Summary() string {
	c := r.canonical()
	return fmt.Sprintf("%s/%s + %s", c.Suite, c.Variant, strings.Join(c.Packages, ","))
}
