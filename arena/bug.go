package arena

import (
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
)

// Bug is a validated artifact that solvers attempt: order 1, or order 2 when a failed first-order
// prediction is applied on top.
type Bug struct {
	ID            string
	ArtifactID    string
	Artifact      *artifact.Artifact
	Diffs         *artifact.Diffs
	Order         int
	ParentBug     string
	ParentAttempt string
	Parent        *patches.Patch // order 2: the failed prediction that made it
	F2P, P2P      []string
}

// Spec is what the solver is told: the reverse of the weakening diff (the hidden tests, as a diff).
func (b *Bug) Spec() string { return patches.Reverse(b.Diffs.Weaken).String() }

// TaskText is the fixed task a solver reads, with the spec inside.
func (b *Bug) TaskText() string {
	return "The repository in /repo has a bug. These test changes must pass; fix the code (not the tests):\n\n" + b.Spec()
}

// state is the overlay of the bug as the solver meets it: bug diff, weakening, and for order 2 the parent
// prediction.
func (b *Bug) state(repo *Repo, extra ...*patches.Patch) (*overlay, error) {
	ps := []*patches.Patch{b.Diffs.Bug, b.Diffs.Weaken, b.Parent}
	return repo.overlayOf(append(ps, extra...)...)
}
