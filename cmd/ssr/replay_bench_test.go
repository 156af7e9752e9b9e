package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/selfplay-swe/ssr/arena/store"
)

// The speed goal: on a job of 100 000 episodes, one page of 'ssr replay --plain' and 'ssr stats'
// each finish in under a second. The job is built once per benchmark binary.
var (
	bigOnce sync.Once
	bigPath string
	bigErr  error
)

func bigJob(b *testing.B) *store.Store {
	b.Helper()
	bigOnce.Do(func() {
		dir, err := tempDirOutsideTest()
		if err != nil {
			bigErr = err
			return
		}
		bigPath = filepath.Join(dir, "big.db")
		bigErr = makeBigJob(context.Background(), bigPath, 100_000)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	st, err := store.Open(context.Background(), bigPath, store.MustExist())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func tempDirOutsideTest() (string, error) { return makeTemp("ssr-bench-") }

// BenchmarkReplayPage is one page of 'ssr replay --plain' (open the store, query, print) on 100 000
// solver episodes, unfiltered, filtered and sorted by reward.
func BenchmarkReplayPage(b *testing.B) {
	bigJob(b)
	for name, q := range map[string]store.Query{
		"first":          {},
		"deep-offset":    {Offset: 90_000},
		"solver-band":    {Role: store.RoleSolver, MinSolveRate: ptr(0.25), MaxSolveRate: ptr(0.75)},
		"sort-by-reward": {Sort: "reward", Desc: true},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				st, err := store.Open(context.Background(), bigPath, store.MustExist())
				if err != nil {
					b.Fatal(err)
				}
				if err := printPage(context.Background(), io.Discard, st, synthJob, q, false); err != nil {
					b.Fatal(err)
				}
				st.Close()
			}
		})
	}
}

// BenchmarkStats is 'ssr stats' on the same job.
func BenchmarkStats(b *testing.B) {
	bigJob(b)
	for b.Loop() {
		st, err := store.Open(context.Background(), bigPath, store.MustExist())
		if err != nil {
			b.Fatal(err)
		}
		if err := printStats(context.Background(), io.Discard, st, synthJob, false); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}

func ptr[T any](v T) *T { return &v }

func makeTemp(prefix string) (string, error) { return os.MkdirTemp("", prefix) }
