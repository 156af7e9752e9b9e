package plugin

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Client is one plugin program seen through the host: a Language whose calls go over gRPC to the plugin
// process, each bounded by the host's call timeout. When the process crashes, the call that saw it fails
// with ErrCrashed (naming the plugin, the call and the tail of its stderr) and the next call starts a new
// process, up to the host's restart limit. A Client is safe for concurrent use.
type Client struct {
	prog Program
	cfg  hostConfig

	mu       sync.Mutex
	proc     *process
	restarts int
	closed   bool
}

var _ Language = (*Client)(nil)

// process is one running plugin process.
type process struct {
	gp     *goplugin.Client
	cmd    *exec.Cmd
	lang   Language
	stderr *tail
	exit   *exitSink
}

// Name is the plugin's short name, from its file name ("go" for ssr-lang-go).
func (c *Client) Name() string { return c.prog.Name }

// Path is the plugin program's executable.
func (c *Client) Path() string { return c.prog.Path }

// program is the name errors use.
func (c *Client) program() string { return ProgramName(c.prog.Name) }

// Close stops the plugin process. Later calls fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	p := c.proc
	c.proc, c.closed = nil, true
	c.mu.Unlock()
	if p != nil {
		p.kill(true)
	}
	return nil
}

// conn returns the running process, starting (or restarting) it when needed.
func (c *Client) conn(ctx context.Context, op string) (*process, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, &Error{Plugin: c.program(), Op: op, Kind: ErrClosed}
	}
	if c.proc != nil && !c.proc.gp.Exited() {
		return c.proc, nil
	}
	if c.proc != nil { // it died between calls
		c.proc.kill(false)
		c.proc = nil
		c.restarts++
	}
	if c.restarts > c.cfg.maxRestarts {
		return nil, &Error{Plugin: c.program(), Op: op, Kind: ErrGaveUp, Err: fmt.Errorf("restarted %d times", c.cfg.maxRestarts)}
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Plugin: c.program(), Op: op, Err: err}
	}
	p, err := c.start(op)
	if err != nil {
		c.restarts++
		return nil, err
	}
	c.proc = p
	return p, nil
}

func (c *Client) start(op string) (*process, error) {
	p := &process{stderr: newTail(4096), exit: &exitSink{}, cmd: pluginCommand(c.prog.Path)}
	p.cmd.Env = pluginEnv() // with this host's mark, by which Reap knows its leftovers if it dies
	logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: c.program(), Level: hclog.Trace, Output: discard{}})
	logger.RegisterSink(p.exit)
	if c.cfg.logger != nil {
		logger.RegisterSink(slogSink{c.cfg.logger})
	}
	p.gp = goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          pluginSet(nil, false, nil),
		Cmd:              p.cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Managed:          true,
		SkipHostEnv:      true, // pluginEnv has it
		StartTimeout:     c.cfg.startTimeout,
		Logger:           logger,
		Stderr:           p.stderr,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize))},
	})
	fail := func(err error) (*process, error) {
		p.kill(false)
		return nil, &Error{Plugin: c.program(), Op: op, Kind: ErrStart, Err: err, Stderr: p.stderr.String()}
	}
	rpc, err := p.gp.Client()
	if err != nil {
		return fail(err)
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return fail(err)
	}
	lang, ok := raw.(Language)
	if !ok {
		return fail(fmt.Errorf("dispensed %T, not a Language", raw))
	}
	p.lang = lang
	return p, nil
}

// stop kills a process that misbehaved, if it is still the current one, so the next call starts afresh.
// It returns once the process is gone and its stderr has been read to the end, or after a bounded wait
// (see kill).
func (c *Client) stop(p *process, crashed bool) {
	p.kill(false) // a hung plugin would make a graceful stop wait
	c.mu.Lock()
	if c.proc == p {
		c.proc = nil
		if crashed {
			c.restarts++
		}
	}
	c.mu.Unlock()
}

// invoke runs one call with the timeout and turns every failure into an *Error naming the plugin.
func invoke[Req, Resp any](ctx context.Context, c *Client, op string, req *Req,
	method func(Language) func(context.Context, *Req) (*Resp, error)) (*Resp, error) {
	p, err := c.conn(ctx, op)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.callTimeout)
	defer cancel()
	resp, err := method(p.lang)(cctx, req)
	if err == nil {
		return resp, nil
	}
	switch {
	case ctx.Err() != nil: // the caller gave up; the plugin is not at fault
		return nil, &Error{Plugin: c.program(), Op: op, Err: ctx.Err()}
	case errors.Is(cctx.Err(), context.DeadlineExceeded) || deadlinePassed(cctx, err):
		c.stop(p, false)
		return nil, &Error{Plugin: c.program(), Op: op, Kind: ErrTimeout, Timeout: c.cfg.callTimeout}
	case processGone(p, err):
		c.stop(p, true)
		cause := err
		if st, ok := status.FromError(err); ok {
			cause = errors.New(st.Message())
		}
		if exit := p.exit.get(); exit != "" {
			cause = fmt.Errorf("%s (%v)", exit, cause)
		}
		return nil, &Error{Plugin: c.program(), Op: op, Kind: ErrCrashed, Err: cause, Stderr: p.stderr.String()}
	default: // the plugin answered with an error
		kind := error(nil)
		if st, ok := status.FromError(err); ok {
			if st.Code() == codes.Unimplemented {
				kind = ErrUnimplemented
			}
			err = errors.New(st.Message())
		}
		return nil, &Error{Plugin: c.program(), Op: op, Kind: kind, Err: err}
	}
}

// deadlinePassed recognises a call the plugin's side ended at the deadline: gRPC passes the deadline on, and
// the server may reset the stream a moment before the host's own timer fires.
func deadlinePassed(cctx context.Context, err error) bool {
	switch status.Code(err) {
	case codes.DeadlineExceeded:
		return true
	case codes.Canceled:
		dl, ok := cctx.Deadline()
		return ok && time.Until(dl) < 100*time.Millisecond
	}
	return false
}

// processGone decides whether a failed call means the plugin process died. A broken connection is
// reported a moment before the process's exit is noticed, so it waits briefly for that.
func processGone(p *process, err error) bool {
	code := status.Code(err)
	if code != codes.Unavailable && code != codes.Canceled {
		return p.gp.Exited()
	}
	deadline := time.Now().Add(2 * time.Second)
	for !p.gp.Exited() {
		if time.Now().After(deadline) {
			return code == codes.Unavailable
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Describe implements Language.
func (c *Client) Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error) {
	return invoke(ctx, c, "Describe", req, func(l Language) func(context.Context, *DescribeRequest) (*DescribeResponse, error) { return l.Describe })
}

// Detect implements Language.
func (c *Client) Detect(ctx context.Context, req *DetectRequest) (*DetectResponse, error) {
	return invoke(ctx, c, "Detect", req, func(l Language) func(context.Context, *DetectRequest) (*DetectResponse, error) { return l.Detect })
}

// Recipe implements Language.
func (c *Client) Recipe(ctx context.Context, req *RecipeRequest) (*RecipeResponse, error) {
	return invoke(ctx, c, "Recipe", req, func(l Language) func(context.Context, *RecipeRequest) (*RecipeResponse, error) { return l.Recipe })
}

// TestFiles implements Language.
func (c *Client) TestFiles(ctx context.Context, req *TestFilesRequest) (*TestFilesResponse, error) {
	return invoke(ctx, c, "TestFiles", req, func(l Language) func(context.Context, *TestFilesRequest) (*TestFilesResponse, error) {
		return l.TestFiles
	})
}

// TestCommand implements Language.
func (c *Client) TestCommand(ctx context.Context, req *TestCommandRequest) (*TestCommandResponse, error) {
	return invoke(ctx, c, "TestCommand", req, func(l Language) func(context.Context, *TestCommandRequest) (*TestCommandResponse, error) {
		return l.TestCommand
	})
}

// ParseTestOutput implements Language.
func (c *Client) ParseTestOutput(ctx context.Context, req *ParseTestOutputRequest) (*ParseTestOutputResponse, error) {
	return invoke(ctx, c, "ParseTestOutput", req, func(l Language) func(context.Context, *ParseTestOutputRequest) (*ParseTestOutputResponse, error) {
		return l.ParseTestOutput
	})
}

// MutationSites implements Language.
func (c *Client) MutationSites(ctx context.Context, req *MutationSitesRequest) (*MutationSitesResponse, error) {
	return invoke(ctx, c, "MutationSites", req, func(l Language) func(context.Context, *MutationSitesRequest) (*MutationSitesResponse, error) {
		return l.MutationSites
	})
}

// ApplyMutation implements Language.
func (c *Client) ApplyMutation(ctx context.Context, req *ApplyMutationRequest) (*ApplyMutationResponse, error) {
	return invoke(ctx, c, "ApplyMutation", req, func(l Language) func(context.Context, *ApplyMutationRequest) (*ApplyMutationResponse, error) {
		return l.ApplyMutation
	})
}

// RemoveTests implements Language.
func (c *Client) RemoveTests(ctx context.Context, req *RemoveTestsRequest) (*RemoveTestsResponse, error) {
	return invoke(ctx, c, "RemoveTests", req, func(l Language) func(context.Context, *RemoveTestsRequest) (*RemoveTestsResponse, error) {
		return l.RemoveTests
	})
}

// CoverageCommand implements Language.
func (c *Client) CoverageCommand(ctx context.Context, req *CoverageCommandRequest) (*CoverageCommandResponse, error) {
	return invoke(ctx, c, "CoverageCommand", req, func(l Language) func(context.Context, *CoverageCommandRequest) (*CoverageCommandResponse, error) {
		return l.CoverageCommand
	})
}

// ParseCoverage implements Language.
func (c *Client) ParseCoverage(ctx context.Context, req *ParseCoverageRequest) (*ParseCoverageResponse, error) {
	return invoke(ctx, c, "ParseCoverage", req, func(l Language) func(context.Context, *ParseCoverageRequest) (*ParseCoverageResponse, error) {
		return l.ParseCoverage
	})
}

// tail keeps the last max bytes written to it: the end of a plugin's stderr, for error messages.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

// String gives the kept bytes, dropping a partial first line and go-plugin's JSON log lines.
func (t *tail) String() string {
	t.mu.Lock()
	s := string(t.buf)
	full := len(t.buf) < t.max
	t.mu.Unlock()
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if !full && len(lines) > 1 {
		lines = lines[1:]
	}
	kept := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, "{\"@level\"") {
			continue
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "\n")
}

// exitSink catches go-plugin's "plugin process exited" log entry, whose error says how the process ended
// ("exit status 3", "signal: killed").
type exitSink struct {
	mu  sync.Mutex
	msg string
}

func (s *exitSink) Accept(_ string, _ hclog.Level, msg string, args ...any) {
	if msg != "plugin process exited" {
		return
	}
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "error" {
			s.mu.Lock()
			s.msg = fmt.Sprint(args[i+1])
			s.mu.Unlock()
		}
	}
}

func (s *exitSink) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msg
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
