package docker

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"time"
)

// maxSetupOutput is how much of a Setup's output is kept (its tail), to report a failed Setup.
const maxSetupOutput = 64 << 10

// stagedStderr takes apart the stderr of an exec run under wrapperScript: with a Setup, what comes before
// the ready mark is the Setup's output, kept aside, and the mark's arrival is when the command started;
// then the command's stderr goes on to out, less the trailer that the wrapper prints after the command.
// The trailer is recognised only at the very end of the stream, so the last bytes are held back until
// finish: a command whose leftover processes go on printing simply has no trailer. StdCopy writes from one
// goroutine; readyAt and finish are called once the copy is over (or, for ready, after it is closed).
type stagedStderr struct {
	out     io.Writer
	mark    []byte // nil once seen, or without a Setup
	trailer []byte
	setup   []byte // the Setup's output so far (its tail)
	pending []byte // held back: may be (the start of) the trailer

	ready     chan struct{} // closed when the mark arrives
	readyOnce sync.Once
	mu        sync.Mutex
	at        time.Time
	seen      bool
}

func newStagedStderr(id string, setup bool, out io.Writer) *stagedStderr {
	w := &stagedStderr{out: out, trailer: trailerPrefix(id), ready: make(chan struct{})}
	if setup {
		w.mark = readyMark(id)
	}
	return w
}

func (w *stagedStderr) Write(p []byte) (int, error) {
	n := len(p)
	if w.mark != nil {
		w.setup = append(w.setup, p...)
		i := bytes.Index(w.setup, w.mark)
		if i < 0 {
			if keep := maxSetupOutput + len(w.mark); len(w.setup) > 2*keep {
				w.setup = append(w.setup[:0], w.setup[len(w.setup)-keep:]...)
			}
			return n, nil
		}
		p = w.setup[i+len(w.mark):]
		w.setup = w.setup[:i:i]
		w.mark = nil
		w.mu.Lock()
		w.at, w.seen = time.Now(), true
		w.mu.Unlock()
		w.readyOnce.Do(func() { close(w.ready) })
	}
	w.pending = append(w.pending, p...)
	// The trailer is its prefix, a count of at most 20 digits (or "-") and a newline.
	if hold := len(w.trailer) + 22; len(w.pending) > hold {
		cut := len(w.pending) - hold
		w.out.Write(w.pending[:cut])
		w.pending = append(w.pending[:0], w.pending[cut:]...)
	}
	return n, nil
}

// readyAt is when the ready mark arrived, if it did.
func (w *stagedStderr) readyAt() (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at, w.seen
}

// setupOutput is what the Setup printed (its last maxSetupOutput bytes).
func (w *stagedStderr) setupOutput() []byte {
	b := w.setup
	if len(b) > maxSetupOutput {
		b = b[len(b)-maxSetupOutput:]
	}
	return append([]byte(nil), b...)
}

// finish passes on what is held back, less the trailer, and returns the OOM kill count that the trailer
// gave, or -1 when there was no trailer or it could not read the count.
func (w *stagedStderr) finish() int64 {
	count := int64(-1)
	if i := bytes.LastIndex(w.pending, w.trailer); i >= 0 && bytes.HasSuffix(w.pending, []byte("\n")) {
		v := string(w.pending[i+len(w.trailer) : len(w.pending)-1])
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			count = n
			w.pending = w.pending[:i]
		} else if v == "-" {
			w.pending = w.pending[:i]
		}
	}
	if len(w.pending) > 0 {
		w.out.Write(w.pending)
		w.pending = nil
	}
	return count
}
