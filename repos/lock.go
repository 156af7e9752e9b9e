package repos

import (
	"context"

	"github.com/selfplay-swe/ssr/repos/internal/flock"
)

// lockPath takes an exclusive lock that belongs to the file or directory at path (on path+".lock"), across
// processes too, waiting until ctx is done.
func lockPath(ctx context.Context, path string) (unlock func(), err error) {
	return flock.Lock(ctx, path+".lock")
}
