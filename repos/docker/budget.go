package docker

import (
	"context"
	"fmt"
	"runtime"
)

// Budget bounds how many containers a provider keeps alive at once: started sandboxes and the warm pool's
// containers alike (a pooled container holds its slot from its making until it is handed out, when the slot
// passes to the sandbox, or removed). Start takes a slot and Close gives it back once the container is
// gone; a Start with no free slot removes an idle pooled container, else waits until a slot is free or its
// ctx ends. It is safe for concurrent use.
type Budget struct{ slots chan struct{} }

// NewBudget returns a budget of n containers (n < 1 means 1).
func NewBudget(n int) *Budget { return &Budget{slots: make(chan struct{}, max(n, 1))} }

// DefaultBudgetSize is the process-wide budget when no other is given: 4 per CPU, at least 8.
var DefaultBudgetSize = max(8, 4*runtime.NumCPU())

// defaultBudget is shared by every Provider made without WithBudget, so the bound is per process.
var defaultBudget = NewBudget(DefaultBudgetSize)

// Acquire takes a slot, waiting for one until ctx ends.
func (b *Budget) Acquire(ctx context.Context) error {
	select {
	case b.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a free container slot (%d of %d in use): %w", len(b.slots), cap(b.slots), ctx.Err())
	}
}

// TryAcquire takes a slot when one is free, without waiting.
func (b *Budget) TryAcquire() bool {
	select {
	case b.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release gives a slot back.
func (b *Budget) Release() { <-b.slots }

// InUse is the number of slots taken.
func (b *Budget) InUse() int { return len(b.slots) }

// Size is the number of slots.
func (b *Budget) Size() int { return cap(b.slots) }
