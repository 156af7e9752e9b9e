//go:build !unix

package repos

import (
	"context"
	"sync"
)

var locks sync.Map // path → *sync.Mutex

// lockPath serialises callers within this process only (no file locks on this platform).
func lockPath(ctx context.Context, path string) (func(), error) {
	m, _ := locks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock, nil
}
