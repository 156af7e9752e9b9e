//go:build !unix

package flock

import (
	"context"
	"sync"
)

var locks sync.Map // path → *sync.Mutex

// Lock serialises callers within this process only: this platform has no flock.
func Lock(ctx context.Context, path string) (func(), error) {
	m, _ := locks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock, nil
}
