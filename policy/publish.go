package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/selfplay-swe/ssr/agent"
)

// Published checkpoints are laid out in one directory: policy-vNNNNNN.safetensors per version (weights
// only), and trainer.safetensors with the trainer's whole state (what `ssr train` resumes from).
const TrainerFile = "trainer.safetensors"

// VersionFile is the name of version v's weights in a published directory.
func VersionFile(v int64) string { return fmt.Sprintf("policy-v%06d.safetensors", v) }

var versionFile = regexp.MustCompile(`^policy-v(\d+)\.safetensors$`)

// Newest returns the path and version of the newest published version in dir (version 0, "" when none).
func Newest(dir string) (string, int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", 0, fmt.Errorf("policy: list published versions: %w", err)
	}
	var best int64
	path := ""
	for _, e := range ents {
		m := versionFile.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if v, err := strconv.ParseInt(m[1], 10, 64); err == nil && v > best {
			best, path = v, filepath.Join(dir, e.Name())
		}
	}
	return path, best, nil
}

// Follower is a Live scorer that follows a published directory: at most every Every it looks for a newer
// version and switches to it, so agents pick up what the trainer publishes while rollouts keep flowing. A
// version that fails to load is skipped until the next look (the trainer may be writing it).
type Follower struct {
	Live
	dir   string
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last time.Time
}

// Follow returns a Follower over dir, loaded with its newest version now (uniform when there is none).
func Follow(dir string, every time.Duration) (*Follower, error) {
	f := &Follower{dir: dir, every: every, now: time.Now}
	if err := f.refresh(); err != nil {
		return nil, err
	}
	return f, nil
}

// Score looks for a newer version first (at most every Every), then scores with the current one. Only
// Score switches, so the Version asked right after it names the weights that scored (unless another
// episode's Score switched in between; the decision's log-probability is the behaviour's either way, which
// is what the trainer's importance ratio needs).
func (f *Follower) Score(ctx context.Context, role agent.Role, cands []agent.Candidate) ([]float64, error) {
	f.maybeRefresh()
	return f.Live.Score(ctx, role, cands)
}

func (f *Follower) maybeRefresh() {
	f.mu.Lock()
	due := f.now().Sub(f.last) >= f.every
	if due {
		f.last = f.now()
	}
	f.mu.Unlock()
	if due {
		_ = f.refresh() // keep the current version; the next look retries
	}
}

func (f *Follower) refresh() error {
	path, v, err := Newest(f.dir)
	if err != nil || path == "" || v <= f.Live.Version() {
		return err
	}
	m, err := Load(path)
	if err != nil {
		return err
	}
	f.Set(m)
	return nil
}
