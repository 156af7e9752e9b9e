package store

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// timeLayout is fixed-width, so stored times sort as text in time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// stamp returns t, or now when t is zero.
func (s *Store) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t
}

// nullString stores "" as NULL (optional references).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func floatPtr(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Float64
	return &v
}

// jsonDoc checks an optional JSON document; nil or empty is stored as NULL.
func jsonDoc(field string, raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%w: %s is not valid JSON", ErrInvalid, field)
	}
	return string(raw), nil
}

func rawJSON(n sql.NullString) json.RawMessage {
	if !n.Valid {
		return nil
	}
	return json.RawMessage(n.String)
}

// jsonValue encodes v (a list or map) as JSON text.
func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: encode %T: %v", v, err)) // only lists and maps of plain values reach here
	}
	return string(b)
}

// strings decodes a stored JSON list of strings; an empty list reads back as nil.
func decodeStrings(field, s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("stored %s %q: %w", field, s, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// strList returns l as JSON, with nil as [].
func strList(l []string) string {
	if l == nil {
		return "[]"
	}
	return jsonValue(l)
}

// newID returns prefix followed by 16 random hex digits.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return prefix + hex.EncodeToString(b[:])
}

// gzipWriters recycles compressors: each holds about a megabyte of deflate state. BestSpeed:
// on 100 KiB of test output it is about 7x faster than the default level for a ~20% larger blob,
// and the CPU is shared with the sandboxes.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

func compress(p []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(p)/4 + 64)
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&buf)
	_, _ = w.Write(p) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	gzipWriters.Put(w)
	return buf.Bytes()
}

// decompress inflates a stored log and checks it against its recorded size (gzip checks the CRC).
func decompress(z []byte, size int64) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := io.Copy(out, r); err != nil {
		return nil, err
	}
	if int64(out.Len()) != size {
		return nil, fmt.Errorf("inflated %d bytes, recorded size is %d", out.Len(), size)
	}
	return out.Bytes(), nil
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }

func timeDuration(ns int64) time.Duration { return time.Duration(ns) }
