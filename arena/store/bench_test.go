package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// benchLog is 100 KiB of test-runner-like output (compresses about as well as real pytest output).
func benchLog() []byte {
	var b []byte
	for i := 0; len(b) < 100<<10; i++ {
		b = fmt.Appendf(b, "tests/test_mod%d.py::test_case_%d %s [%3d%%]\n", i%23, i*7919%100003, [...]string{"PASSED", "FAILED", "SKIPPED"}[i%3], i%100)
	}
	return b[:100<<10]
}

// BenchmarkRecordAttempt measures RecordAttempt (attempt + solver episode + a 100 KiB eval log,
// one transaction) serially and from 8 goroutines, with the default synchronous=FULL and with
// WithSyncNormal.
func BenchmarkRecordAttempt(b *testing.B) {
	log := benchLog()
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"sync=full", nil},
		{"sync=normal", []Option{WithSyncNormal()}},
	} {
		for _, par := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", c.name, par), func(b *testing.B) {
				s := openTest(b, c.opts...)
				seedJob(b, s)
				seedBug(b, s, "b", "r1")
				ctx := context.Background()
				var next atomic.Int64
				b.SetBytes(int64(len(log)))
				b.SetParallelism(par) // par × GOMAXPROCS goroutines
				b.ResetTimer()
				run := func() error {
					i := int(next.Add(1))
					a, e := attempt("b", i, i%2 == 0)
					return s.RecordAttempt(ctx, a, e, RawLog{Kind: LogEval, Output: log})
				}
				if par == 1 {
					for range b.N {
						if err := run(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := run(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "attempts/s")
			})
		}
	}
}
