//go:build unix

// Package flock serialises work across processes on one host with advisory file locks (flock(2)): one
// bootstrap of a base image recipe, one clone of a source. The kernel drops a lock when its process dies, so
// a killed job never leaves one behind.
package flock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// pollInterval is how often a waiting Lock retries; polling lets ctx cancel the wait.
const pollInterval = 50 * time.Millisecond

// Lock takes an exclusive lock on the file at path (created, with its directory, if missing), waiting until it
// is free or ctx is done. The returned function releases it.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for lock %s (another ssr process holds it): %w", path, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}
