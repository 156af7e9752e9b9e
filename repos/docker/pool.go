package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/sourcegraph/conc"
)

// WithWarmPool keeps up to n started, never-used containers ready per container configuration (spec, limits
// and labels included, but for the role: a pooled container is labelled RoleWarm and serves any role), so that
// Start hands one out at once instead of creating and starting one (which costs the engine 300 ms or more).
// Taking one from the pool starts the making of its replacement in the background; one that finds the budget
// full is made when a sandbox gives its slot back (topUp), and a Start that finds its configuration's next
// container being made waits for it. A pooled container is created exactly as Start would create it (same
// hardening, same labels, so the reaper treats it like any other) and is handed out at most once; one that
// idled longer than the pool's age limit, or that no longer runs, is removed instead of handed out. The pool
// keeps containers of at most poolSpecs configurations, evicting the oldest. Its containers count against the
// budget (WithBudget): one is made only when a slot is free, and a Start that finds no free slot removes an
// idle pooled container to take its slot, so the budget caps every container alive. n < 1 turns the pool off,
// which is the default. Call Provider.Close to remove the pooled containers.
func WithWarmPool(n int) Option {
	return func(p *Provider) {
		if n < 1 {
			p.pool = nil
			return
		}
		p.pool = &warmPool{perSpec: n, maxIdle: poolMaxIdle, idle: map[string][]pooled{}, pending: map[string]int{}, images: map[string]string{},
			wants: map[string]poolWant{}}
	}
}

const (
	// poolSpecs bounds how many container configurations the warm pool keeps containers for.
	poolSpecs = 8
	// poolMaxIdle is how long a pooled container may wait before it is removed instead of handed out.
	poolMaxIdle = 10 * time.Minute
	// poolMakeTimeout bounds the creation and start of one pooled container.
	poolMakeTimeout = 2 * time.Minute
)

// warmPool holds started, never-used containers by configuration key.
type warmPool struct {
	perSpec int
	maxIdle time.Duration

	mu      sync.Mutex
	idle    map[string][]pooled // by key, oldest first
	pending map[string]int      // containers being made, by key
	images  map[string]string   // the image of each key
	wants   map[string]poolWant // the configurations Starts asked for, at most poolSpecs: what topUp makes
	closed  bool
	wg      conc.WaitGroup // makers and removers
}

type pooled struct {
	id   string
	made time.Time
}

// poolWant is a configuration the pool keeps containers of, and when a Start last asked for it.
type poolWant struct {
	cfg  *container.Config
	host *container.HostConfig
	at   time.Time
}

// poolKey identifies a container configuration: two Starts may share a pooled container only when the
// engine would be asked for exactly the same container.
func poolKey(cfg *container.Config, host *container.HostConfig) string {
	h := sha256.New()
	json.NewEncoder(h).Encode(cfg)
	json.NewEncoder(h).Encode(host)
	return hex.EncodeToString(h.Sum(nil))
}

// containerInspector is the engine call that checks a pooled container still runs before it is handed out.
type containerInspector interface {
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
}

// take removes and returns the newest pooled container for key that still runs, or "" when there is none.
// Stale or stopped ones met on the way are removed in the background.
func (w *warmPool) take(ctx context.Context, p *Provider, key string) string {
	for {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return ""
		}
		list := w.idle[key]
		var stale []string
		for len(list) > 0 && time.Since(list[0].made) > w.maxIdle {
			stale = append(stale, list[0].id)
			list = list[1:]
		}
		var c pooled
		if len(list) > 0 {
			c, list = list[len(list)-1], list[:len(list)-1]
		}
		if len(list) == 0 {
			delete(w.idle, key)
			if w.pending[key] == 0 {
				delete(w.images, key)
			}
		} else {
			w.idle[key] = list
		}
		for _, id := range stale {
			w.removeLocked(p, id)
		}
		w.mu.Unlock()
		if c.id == "" {
			return ""
		}
		if ins, ok := p.cli.(containerInspector); ok {
			st, err := ins.ContainerInspect(ctx, c.id)
			if err != nil || st.State == nil || !st.State.Running {
				w.mu.Lock()
				closed := w.closed
				if !closed {
					w.removeLocked(p, c.id)
				}
				w.mu.Unlock()
				if closed {
					p.removePooled(ctx, c.id)
				}
				continue
			}
		}
		return c.id
	}
}

// fill starts making containers for key in the background until the pool holds perSpec of them, evicting
// the oldest configuration when the pool already holds poolSpecs others.
func (w *warmPool) fill(p *Provider, key string, cfg *container.Config, host *container.HostConfig) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if _, known := w.idle[key]; !known && w.pending[key] == 0 {
		w.evictLocked(p, key)
	}
	w.wants[key] = poolWant{cfg: cfg, host: host, at: time.Now()}
	for len(w.wants) > poolSpecs {
		oldest, at := "", time.Time{}
		for k, want := range w.wants {
			if oldest == "" || want.at.Before(at) {
				oldest, at = k, want.at
			}
		}
		delete(w.wants, oldest)
	}
	w.fillLocked(p, key)
}

// fillLocked makes containers for key until the pool holds perSpec of them or the budget has no free slot.
// It reports whether the budget had room for all.
func (w *warmPool) fillLocked(p *Provider, key string) bool {
	want := w.wants[key]
	w.images[key] = want.cfg.Image
	for n := len(w.idle[key]) + w.pending[key]; n < w.perSpec; n++ {
		if !p.budget.TryAcquire() {
			return false // the budget is in use: no warm container now (topUp tries again when a slot frees)
		}
		w.pending[key]++
		w.wg.Go(func() { w.make(p, key, want.cfg, want.host) })
	}
	return true
}

// topUp refills the pool after a sandbox gave its budget slot back, the configurations asked for last
// first: a Start that took a pooled container while the budget was full got no replacement then.
func (w *warmPool) topUp(p *Provider) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	keys := slices.SortedFunc(maps.Keys(w.wants), func(a, b string) int { return w.wants[b].at.Compare(w.wants[a].at) })
	for _, k := range keys {
		if !w.fillLocked(p, k) {
			return
		}
	}
}

// evictLocked removes the idle containers of the configuration whose newest container is oldest, when the
// pool already keeps poolSpecs configurations other than key.
func (w *warmPool) evictLocked(p *Provider, key string) {
	keys := map[string]time.Time{}
	for k, list := range w.idle {
		if len(list) > 0 {
			keys[k] = list[len(list)-1].made
		}
	}
	for k := range w.pending {
		keys[k] = time.Now() // being made: the newest of all
	}
	if len(keys) < poolSpecs {
		return
	}
	oldest, at := "", time.Time{}
	for k, t := range keys {
		if w.pending[k] > 0 {
			continue
		}
		if oldest == "" || t.Before(at) {
			oldest, at = k, t
		}
	}
	for _, c := range w.idle[oldest] {
		w.removeLocked(p, c.id)
	}
	delete(w.idle, oldest)
	delete(w.images, oldest)
	delete(w.wants, oldest)
}

// make creates and starts one pooled container. A failure is dropped: the next Start makes its own
// container and reports the error.
func (w *warmPool) make(p *Provider, key string, cfg *container.Config, host *container.HostConfig) {
	ctx, cancel := context.WithTimeout(context.Background(), poolMakeTimeout)
	defer cancel()
	created, err := p.cli.ContainerCreate(ctx, cfg, host, nil, nil, "")
	if err == nil {
		if err = p.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
			p.removeContainer(ctx, created.ID)
		}
	}
	if err != nil {
		p.budget.Release()
	}
	w.mu.Lock()
	if w.pending[key]--; w.pending[key] <= 0 {
		delete(w.pending, key)
	}
	closed := w.closed
	if err == nil && !closed {
		w.idle[key] = append(w.idle[key], pooled{id: created.ID, made: time.Now()})
	}
	w.mu.Unlock()
	if err == nil && closed {
		p.removePooled(ctx, created.ID)
	}
}

// removeLocked removes a pooled container in the background; Provider.Close waits for it. The caller holds
// w.mu and has seen that the pool is open (after close, removals run in the foreground).
func (w *warmPool) removeLocked(p *Provider, id string) {
	w.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		p.removePooled(ctx, id)
	})
}

// removePooled removes a pooled container and gives its budget slot back.
func (p *Provider) removePooled(ctx context.Context, id string) error {
	defer p.budget.Release()
	return p.removeContainer(ctx, id)
}

// making reports whether a container for key is being made.
func (w *warmPool) making(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return key != "" && w.pending[key] > 0
}

// evictOne removes the oldest idle pooled container, in the foreground, so that its budget slot is free
// when it returns. It reports whether there was one.
func (w *warmPool) evictOne(ctx context.Context, p *Provider) bool {
	w.mu.Lock()
	key, at := "", time.Time{}
	for k, list := range w.idle {
		if len(list) > 0 && (key == "" || list[0].made.Before(at)) {
			key, at = k, list[0].made
		}
	}
	if key == "" {
		w.mu.Unlock()
		return false
	}
	c := w.idle[key][0]
	if w.idle[key] = w.idle[key][1:]; len(w.idle[key]) == 0 {
		delete(w.idle, key)
		if w.pending[key] == 0 {
			delete(w.images, key)
		}
	}
	w.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	p.removePooled(rctx, c.id)
	return true
}

// drop removes the pooled containers made from image (every pooled container when image is ""), after
// waiting for those being made, so that the image can be removed.
func (w *warmPool) drop(ctx context.Context, p *Provider, image string) error {
	for {
		w.mu.Lock()
		var ids []string
		busy := false
		for k, want := range w.wants {
			if image == "" || want.cfg.Image == image {
				delete(w.wants, k) // topUp must not make containers of an image being removed
			}
		}
		for k, img := range w.images {
			if image != "" && img != image {
				continue
			}
			for _, c := range w.idle[k] {
				ids = append(ids, c.id)
			}
			delete(w.idle, k)
			busy = busy || w.pending[k] > 0
			if w.pending[k] == 0 {
				delete(w.images, k)
			}
		}
		w.mu.Unlock()
		var errs []error
		for _, id := range ids {
			if err := p.removePooled(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 || !busy {
			return errors.Join(errs...)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// close stops the pool, waits for containers being made and removes every idle one.
func (w *warmPool) close(ctx context.Context, p *Provider) error {
	w.mu.Lock()
	w.closed = true
	var ids []string
	for _, list := range w.idle {
		for _, c := range list {
			ids = append(ids, c.id)
		}
	}
	w.idle = map[string][]pooled{}
	w.mu.Unlock()
	w.wg.Wait()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	var errs []error
	for _, id := range ids {
		if err := p.removePooled(rctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("close sandbox provider: %w", errors.Join(errs...))
	}
	return nil
}
