package sandbox

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// DefaultWorkdir is where a repo image keeps its code.
const DefaultWorkdir = "/repo"

// Spec says what sandbox to start.
type Spec struct {
	Image   string   // image reference; required
	Workdir string   // default DefaultWorkdir; created when the image lacks it
	Base    string   // commit that Diff and Reset compare against; empty: HEAD at the time of the call
	Job     string   // the job that owns the sandbox (a label); default "adhoc"
	Role    string   // what it is for: "injector", "solver", "eval", "baseline", ... (a label); default "sandbox"
	Env     []string // KEY=VALUE for every exec
	User    string   // default user for execs; empty: the image's
	Limits  Limits
}

// Limits are the sandbox's resource limits and security settings. The zero value of every field means the
// hardened default (see DefaultLimits); the booleans loosen the hardening only when set.
type Limits struct {
	Memory      int64         // bytes of memory (swap included); default 2 GiB
	NanoCPUs    int64         // CPU quota in 1e-9 CPUs; default 1 CPU
	Pids        int64         // processes and threads; default 512
	TmpfsSize   int64         // bytes of each writable tmpfs, /tmp and /var/tmp (counts against Memory); default 512 MiB
	ExecTimeout time.Duration // per exec unless the request says otherwise; default 10 minutes
	MaxOutput   int64         // bytes kept per stream per exec; default 8 MiB

	Network            bool     // keep a network (default: none, only loopback)
	CapAdd             []string // capabilities to keep (default: all dropped)
	AllowNewPrivileges bool     // allow setuid gains (default: no-new-privileges)
}

// Defaults of Limits.
const (
	DefaultMemory      = 2 << 30
	DefaultNanoCPUs    = 1_000_000_000
	DefaultPids        = 512
	DefaultTmpfsSize   = 512 << 20
	DefaultExecTimeout = 10 * time.Minute
	DefaultMaxOutput   = 8 << 20

	// MinMemory is the smallest memory limit that leaves room for the sandbox's own processes.
	MinMemory = 16 << 20
	// MinPids is the smallest process limit that lets a sandbox run a shell and a command.
	MinPids = 8
)

// DefaultLimits are the hardened defaults.
func DefaultLimits() Limits { return Limits{}.WithDefaults() }

// WithDefaults fills every zero field with its default.
func (l Limits) WithDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.Memory, DefaultMemory)
	def(&l.NanoCPUs, DefaultNanoCPUs)
	def(&l.Pids, DefaultPids)
	def(&l.TmpfsSize, DefaultTmpfsSize)
	def(&l.MaxOutput, DefaultMaxOutput)
	if l.ExecTimeout == 0 {
		l.ExecTimeout = DefaultExecTimeout
	}
	return l
}

// Validate reports the first field that no backend can honour.
func (l Limits) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: limits.%s = %v: %s", ErrInvalidSpec, field, v, want)
	}
	switch {
	case l.Memory != 0 && l.Memory < MinMemory:
		return bad("memory", l.Memory, fmt.Sprintf("want at least %d bytes (16 MiB), or 0 for the default", MinMemory))
	case l.NanoCPUs < 0:
		return bad("nano_cpus", l.NanoCPUs, "want a positive number, or 0 for the default")
	case l.Pids < 0:
		return bad("pids", l.Pids, "want a positive number, or 0 for the default")
	case l.Pids > 0 && l.Pids < MinPids:
		return bad("pids", l.Pids, fmt.Sprintf("want at least %d so that a sandbox can run a shell and a command", MinPids))
	case l.TmpfsSize < 0:
		return bad("tmpfs_size", l.TmpfsSize, "want a positive number, or 0 for the default")
	case l.ExecTimeout < 0:
		return bad("exec_timeout", l.ExecTimeout, "want a positive duration, or 0 for the default")
	case l.MaxOutput < 0:
		return bad("max_output", l.MaxOutput, "want a positive number, or 0 for the default")
	}
	for _, c := range l.CapAdd {
		if c == "" || strings.ContainsAny(c, " \t\n") {
			return bad("cap_add", l.CapAdd, "want capability names such as CAP_CHOWN")
		}
	}
	return nil
}

// WithDefaults fills the spec's empty fields with their defaults.
func (s Spec) WithDefaults() Spec {
	if s.Workdir == "" {
		s.Workdir = DefaultWorkdir
	}
	if s.Job == "" {
		s.Job = "adhoc"
	}
	if s.Role == "" {
		s.Role = "sandbox"
	}
	s.Limits = s.Limits.WithDefaults()
	return s
}

// Validate reports the first thing in the spec that cannot be started.
func (s Spec) Validate() error {
	switch {
	case strings.TrimSpace(s.Image) == "":
		return fmt.Errorf("%w: no image: name one, e.g. the ref that `ssr image bootstrap` prints", ErrInvalidSpec)
	case s.Workdir != "" && !path.IsAbs(s.Workdir):
		return fmt.Errorf("%w: workdir %q is relative: give an absolute path such as /repo", ErrInvalidSpec, s.Workdir)
	}
	if err := validateEnv(s.Env); err != nil {
		return err
	}
	return s.Limits.Validate()
}

func validateEnv(env []string) error {
	for _, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("%w: env entry %q: want KEY=VALUE", ErrInvalidSpec, kv)
		}
	}
	return nil
}
