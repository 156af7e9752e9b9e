package arena

import (
	"context"

	"github.com/selfplay-swe/ssr/arena/artifact"
)

// LearnTimeLimit runs the original code's runs of art's test script on repo (cached per image and script;
// the repository's baseline runs when the script is the baseline's), as validation does first, so that the
// later runs of that script get a time limit derived from how long it takes (see timeoutFor). A solver
// attempt on a bug that this Arena did not validate (one from a frozen set) otherwise runs its tests under
// the repository's whole limit, and an edit that makes a test loop costs all of it.
func (a *Arena) LearnTimeLimit(ctx context.Context, repo *Repo, art *artifact.Artifact) error {
	_, err := a.original(ctx, repo, art)
	return err
}
