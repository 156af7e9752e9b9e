package arena

import (
	"fmt"

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

// NewBug is the Bug a solver meets, rebuilt from what a store or a frozen bug set keeps of it: the
// artifact's parts, its F2P and P2P tests and, for order 2, the failed prediction applied on top (parent;
// nil for order 1). The artifact must still pass the static check on repo's checkout.
func NewBug(repo *Repo, id string, art *artifact.Artifact, order int, parent *patches.Patch, f2p, p2p []string) (*Bug, error) {
	diffs, err := artifact.Check(art, repo.Dir, repo.CheckOptions(1))
	if err != nil {
		return nil, fmt.Errorf("bug %s: its artifact no longer passes the static check on %s: %w", id, repo.Name, err)
	}
	if order == 2 && parent == nil {
		return nil, fmt.Errorf("bug %s: an order-2 bug needs the failed prediction it was made from", id)
	}
	return &Bug{ID: id, Artifact: art, Diffs: diffs, Order: order, Parent: parent, F2P: f2p, P2P: p2p}, nil
}
