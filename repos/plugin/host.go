package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Defaults for a Host.
const (
	DefaultCallTimeout  = 30 * time.Second
	DefaultStartTimeout = 20 * time.Second
	DefaultMaxRestarts  = 3
)

// HostOption configures a Host.
type HostOption func(*hostConfig)

type hostConfig struct {
	dirs         []string
	callTimeout  time.Duration
	startTimeout time.Duration
	maxRestarts  int
	logger       *slog.Logger
}

// WithDirs replaces the search path (SearchPath by default) with dirs, searched in order.
func WithDirs(dirs ...string) HostOption {
	return func(c *hostConfig) { c.dirs = append([]string(nil), dirs...) }
}

// WithCallTimeout bounds every call to a plugin (DefaultCallTimeout by default). A plugin that does not
// answer in time is stopped; the next call restarts it.
func WithCallTimeout(d time.Duration) HostOption {
	return func(c *hostConfig) {
		if d > 0 {
			c.callTimeout = d
		}
	}
}

// WithStartTimeout bounds how long a plugin program may take to start and complete the handshake.
func WithStartTimeout(d time.Duration) HostOption {
	return func(c *hostConfig) {
		if d > 0 {
			c.startTimeout = d
		}
	}
}

// WithMaxRestarts sets how many times a crashed plugin is restarted before its calls fail with ErrGaveUp.
func WithMaxRestarts(n int) HostOption {
	return func(c *hostConfig) {
		if n >= 0 {
			c.maxRestarts = n
		}
	}
}

// WithLogger sends what plugins write to stderr, and go-plugin's own log, to l (discarded by default).
func WithLogger(l *slog.Logger) HostOption {
	return func(c *hostConfig) { c.logger = l }
}

// Host finds plugin programs, starts them on demand and hands out Clients. Close it when done: it stops
// every plugin process it started. A Host is safe for concurrent use.
type Host struct {
	cfg     hostConfig
	mu      sync.Mutex
	clients map[string]*Client // by executable path
	closed  bool
}

// NewHost returns a Host that searches SearchPath (or the directories given WithDirs).
func NewHost(opts ...HostOption) *Host {
	cfg := hostConfig{callTimeout: DefaultCallTimeout, startTimeout: DefaultStartTimeout, maxRestarts: DefaultMaxRestarts}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.dirs == nil {
		cfg.dirs = SearchPath()
	}
	return &Host{cfg: cfg, clients: map[string]*Client{}}
}

// Programs lists the plugin programs on the search path, one per name (the first found wins), sorted by name.
func (h *Host) Programs() []Program { return discover(h.cfg.dirs) }

// Find resolves a plugin by short name ("go"), program name ("ssr-lang-go") or path (anything with a
// slash, such as ./ssr-lang-go).
func (h *Host) Find(name string) (Program, error) {
	if strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, '/') {
		path, err := filepath.Abs(name)
		if err != nil {
			return Program{}, fmt.Errorf("plugin %s: %w", name, err)
		}
		if !isExecutable(path) {
			return Program{}, fmt.Errorf("plugin %s: %w: not an executable file (build it, or check the path)", name, ErrNotFound)
		}
		short, _ := strings.CutPrefix(filepath.Base(path), ProgramPrefix)
		return Program{Name: short, Path: path}, nil
	}
	want := strings.TrimPrefix(name, ProgramPrefix)
	for _, p := range h.Programs() {
		if p.Name == want {
			return p, nil
		}
	}
	return Program{}, fmt.Errorf("plugin %s: %w: no executable %s in $SSR_PLUGIN_DIR, beside ssr, or on $PATH (install it there, or set SSR_PLUGIN_DIR)", name, ErrNotFound, ProgramName(want))
}

// Open starts the named plugin (see Find) or returns the Client already started for it.
func (h *Host) Open(ctx context.Context, name string) (*Client, error) {
	p, err := h.Find(name)
	if err != nil {
		return nil, err
	}
	return h.open(ctx, p)
}

func (h *Host) open(ctx context.Context, p Program) (*Client, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, &Error{Plugin: ProgramName(p.Name), Op: "Open", Kind: ErrClosed}
	}
	c, ok := h.clients[p.Path]
	if !ok {
		c = &Client{prog: p, cfg: h.cfg}
		h.clients[p.Path] = c
	}
	h.mu.Unlock()
	if _, err := c.conn(ctx, "Open"); err != nil {
		return nil, err
	}
	return c, nil
}

// All starts every plugin on the search path. Plugins that fail to start are left out and reported in
// the joined error; the others are returned (sorted by name) either way.
func (h *Host) All(ctx context.Context) ([]*Client, error) {
	var out []*Client
	var errs []error
	for _, p := range h.Programs() {
		c, err := h.open(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// Close stops every plugin process the Host started. Clients it handed out fail with ErrClosed afterwards.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	clients := h.clients
	h.clients = map[string]*Client{}
	h.mu.Unlock()
	for _, c := range clients {
		c.Close()
	}
	return nil
}
