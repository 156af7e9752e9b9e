package repos

import (
	"io"
	"os"
	"path/filepath"
	"time"
)

// Option configures Clone and a Builder (Build and Baseline).
type Option func(*config)

type config struct {
	cacheDir    string
	progress    io.Writer
	now         func() time.Time
	flakeRuns   int
	testTimeout time.Duration
	job         string
}

func newConfig(opts []Option) *config {
	c := &config{progress: io.Discard, now: time.Now, flakeRuns: DefaultFlakeRuns}
	for _, o := range opts {
		o(c)
	}
	if c.cacheDir == "" {
		c.cacheDir = DefaultCacheDir()
	}
	return c
}

// WithCacheDir sets the directory that holds clones, build logs and baselines (default DefaultCacheDir).
func WithCacheDir(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithProgress sends one line per step (cloning, fetching, building) to w.
func WithProgress(w io.Writer) Option {
	return func(c *config) {
		if w != nil {
			c.progress = w
		}
	}
}

// WithTestTimeout sets the time limit of a baseline run for repositories whose manifest sets no
// limits.timeout (default DefaultTestTimeout); a job passes its arena.test_timeout. See TestTimeout.
func WithTestTimeout(d time.Duration) Option { return func(c *config) { c.testTimeout = d } }

// WithJob labels the sandboxes a Builder starts with job (ssr.job) instead of "build-<repo>" and
// "baseline-<repo>".
func WithJob(job string) Option { return func(c *config) { c.job = job } }

// jobFor is the job label for a sandbox of kind ("build", "baseline") for repo.
func (c *config) jobFor(kind, repo string) string {
	if c.job != "" {
		return c.job
	}
	return kind + "-" + repo
}

// DefaultCacheDir is $SSR_CACHE_DIR, else $XDG_CACHE_HOME/ssr, else ~/.cache/ssr.
func DefaultCacheDir() string {
	if d := os.Getenv("SSR_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "ssr")
	}
	return filepath.Join(os.TempDir(), "ssr-cache")
}
