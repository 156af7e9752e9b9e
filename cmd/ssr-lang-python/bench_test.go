package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

func BenchmarkParsePytest(b *testing.B) {
	out, err := os.ReadFile(filepath.Join("testdata", "pytest", "basic.ssr.out"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if len(parsePytest(out)) == 0 {
			b.Fatal("no results")
		}
	}
}

func BenchmarkMutationSites(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "mutation", "sample.py"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		// A fresh copy each time defeats the parse cache: this is the cost for a file seen the first time.
		sites(b, "sample.py", append([]byte(nil), src...))
		lastParse.Lock()
		lastParse.src = nil
		lastParse.Unlock()
	}
}

// BenchmarkApplyMutation applies every site × operator of the sample module in turn (the cached parse of
// the unchanged source is reused, as when an agent tries many mutations on one file).
func BenchmarkApplyMutation(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "mutation", "sample.py"))
	if err != nil {
		b.Fatal(err)
	}
	type pair struct {
		site plugin.MutationSite
		op   string
	}
	var pairs []pair
	for _, s := range sites(b, "sample.py", src) {
		for _, op := range s.Operators {
			pairs = append(pairs, pair{s, op})
		}
	}
	i := 0
	for b.Loop() {
		p := pairs[i%len(pairs)]
		i++
		if r := apply(b, "sample.py", src, p.site, p.op); r.Refused != "" {
			b.Fatal(r.Refused)
		}
	}
}
