package sandbox

import "sync"

// CappedBuffer keeps the first Limit bytes written to it and counts (but drops) the rest, so a command that
// prints gigabytes costs the host at most Limit bytes. Writes never fail, so a copy loop keeps draining the
// stream. It is safe for concurrent use.
type CappedBuffer struct {
	mu      sync.Mutex
	limit   int64
	buf     []byte
	dropped int64
}

// NewCappedBuffer returns a buffer that keeps at most limit bytes (limit <= 0 keeps nothing).
func NewCappedBuffer(limit int64) *CappedBuffer { return &CappedBuffer{limit: max(limit, 0)} }

func (b *CappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.limit - int64(len(b.buf))
	if room >= int64(len(p)) {
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	if room > 0 {
		b.buf = append(b.buf, p[:room]...)
	}
	b.dropped += int64(len(p)) - max(room, 0)
	return len(p), nil
}

// Truncated reports whether any byte was dropped.
func (b *CappedBuffer) Truncated() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped > 0
}

// Dropped is how many bytes were written past the limit.
func (b *CappedBuffer) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Bytes returns the kept bytes, followed by TruncationMarker when something was dropped.
func (b *CappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]byte, len(b.buf), len(b.buf)+64)
	copy(out, b.buf)
	if b.dropped > 0 {
		out = append(out, TruncationMarker(b.limit)...)
	}
	return out
}
