package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLogCompressionRoundTrip(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()

	var text strings.Builder
	for i := 0; text.Len() < 8<<20; i++ {
		fmt.Fprintf(&text, "tests/test_mod%d.py::test_case_%d PASSED [%3d%%]\n", i%37, i, i%100)
	}
	noise := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	for name, out := range map[string][]byte{
		"empty":        nil,
		"8 MiB text":   []byte(text.String()),
		"1 MiB random": noise,
		"binary nul":   {0, 0, 0, 0xff, 0x1f, 0x8b},
	} {
		t.Run(name, func(t *testing.T) {
			ids, err := s.RecordLogs(ctx, RawLog{Job: "job-1", Kind: LogBaseline, Ref: "r1", Output: out, ExitCode: 3})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Log(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Output, out) || got.Size != int64(len(out)) || got.ExitCode != 3 {
				t.Fatalf("round trip: %d bytes back of %d (size %d)", len(got.Output), len(out), got.Size)
			}
			var stored int
			s.r.QueryRow(`SELECT length(output) FROM raw_logs WHERE id = ?`, ids[0]).Scan(&stored)
			t.Logf("%d bytes stored as %d", len(out), stored)
			if name == "8 MiB text" && stored > len(out)/10 {
				t.Errorf("text log stored as %d bytes, want under a tenth of %d", stored, len(out))
			}
		})
	}
}

func TestDamagedLogIsReported(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	ids, err := s.RecordLogs(ctx, RawLog{Job: "job-1", Kind: LogBaseline, Ref: "r1", Output: bytes.Repeat([]byte("ok\n"), 1000)})
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte inside the deflate stream: gzip's CRC or the recorded size must catch it.
	var z []byte
	if err := s.r.QueryRow(`SELECT output FROM raw_logs WHERE id = ?`, ids[0]).Scan(&z); err != nil {
		t.Fatal(err)
	}
	z[20] ^= 0xff
	if _, err := s.w.Exec(`UPDATE raw_logs SET output = ? WHERE id = ?`, z, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Log(ctx, ids[0]); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("reading a damaged log = %v, want an error saying it is damaged", err)
	}
}
