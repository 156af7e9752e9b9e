package native

import (
	"path"
	"sort"
	"strings"
	"unicode"

	"github.com/selfplay-swe/ssr/agent"
)

// ranked is a candidate with its index in the observation and how strongly the failing output points at it.
type ranked struct {
	cand     agent.Candidate
	index    int
	priority float64
}

// rank orders solver candidates by how strongly the failing tests point at them: the file named in the
// output, the enclosing function named in it, words shared by the function's name and the failing tests'
// names (TestRingPush → Ring.Push, test_add_and_subtract → Money.__add__), the file beside a failing test.
// Each returned candidate carries its priority as the feature output_priority, for a trained policy.
func rank(cands []agent.Candidate, output string, failing []string) []ranked {
	dirs := map[string]bool{}
	testWords := map[string]bool{}
	for _, id := range failing {
		if pkg, _, ok := strings.Cut(id, "::"); ok {
			dirs[pkg] = true           // Go ids start with the import path
			dirs[path.Dir(pkg)] = true // Python ids with the test file
		}
		name := id[strings.LastIndex(id, "::")+1:]
		if i := strings.IndexAny(name, "[/"); i >= 0 {
			name = name[:i]
		}
		for _, w := range words(name) {
			testWords[w] = true
		}
	}
	out := make([]ranked, len(cands))
	for i, c := range cands {
		p := 0.0
		if strings.Contains(output, path.Base(c.File)) {
			p += 3
		}
		if fn := c.Function; fn != "" {
			short := fn[strings.LastIndex(fn, ".")+1:]
			if strings.Contains(output, short) {
				p += 2
			}
			shared := 0.0
			for _, w := range words(fn) {
				if testWords[w] {
					shared += 2
				}
			}
			p += min(shared, 4)
		}
		if operatorBias[c.Operator] {
			p += 0.5 // a flipped operator is a commoner slip than a negated condition or swapped arguments
		}
		d := path.Dir(c.File)
		for dir := range dirs {
			if dir == d || strings.HasSuffix(dir, "/"+d) {
				p++
				break
			}
		}
		features := map[string]float64{}
		for k, v := range c.Features {
			features[k] = v
		}
		features["output_priority"] = p
		c.Features = features
		out[i] = ranked{cand: c, index: i, priority: p}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].priority > out[j].priority })
	return out
}

// operatorBias marks the operators whose edits undo the commonest one-token bugs.
var operatorBias = map[string]bool{
	"comparison_flip": true, "boundary_shift": true, "arithmetic_swap": true, "boolean_swap": true, "constant_off_by_one": true,
	"constant_minus_one": true,
}

// shortlist is the indexes of the first n of rows (in rank's order) with at most perFunction from any one
// function, so that a few busy functions do not crowd out the rest.
func shortlist(rows []agent.Candidate, n, perFunction int) []int {
	var out []int
	per := map[string]int{}
	for i, c := range rows {
		k := c.File + "\x00" + c.Function
		if per[k] >= perFunction {
			continue
		}
		per[k]++
		out = append(out, i)
		if len(out) == n {
			break
		}
	}
	return out
}

// stopWords carry no hint of where a bug is.
var stopWords = map[string]bool{"test": true, "tests": true, "and": true, "or": true, "the": true, "of": true,
	"a": true, "an": true, "to": true, "in": true, "is": true, "it": true, "on": true, "with": true, "for": true}

// words splits an identifier into lower-case words: on non-letters and at lower→upper case changes.
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 1 {
			w := strings.ToLower(string(cur))
			if !stopWords[w] {
				out = append(out, w)
			}
		}
		cur = cur[:0]
	}
	var prev rune
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return out
}
