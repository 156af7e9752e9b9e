package policy

import (
	"hash/fnv"
	"math"
	"path"
	"strings"
	"unicode"

	"github.com/selfplay-swe/ssr/agent"
)

// Schema is the fixed feature layout every checkpoint records: a model is only loaded by code whose schema
// is the same (Version and sizes), since a row's columns mean nothing otherwise.
type Schema struct {
	Version     int `json:"version"`
	HashBuckets int `json:"hash_buckets"` // hashed categorical tokens
	NumBuckets  int `json:"num_buckets"`  // hashed numeric features (Candidate.Features)
}

// CurrentSchema is the schema this code writes rows in. Change Version whenever featurise changes.
var CurrentSchema = Schema{Version: 4, HashBuckets: 1024, NumBuckets: 64}

// Width is the number of columns of a row: the role (two columns), then the hash buckets, then the numeric
// buckets.
func (s Schema) Width() int { return 2 + s.HashBuckets + s.NumBuckets }

// Featurise writes the rows of cands for role into x (len(cands)×Width, zeroed here).
//
// A row is: a one-hot role; hashed categorical tokens; every Candidate.Features entry hashed by name into a
// numeric bucket with value sign(v)·log(1+|v|), so features added later by the arena need no schema change,
// only training; and, for each feature whose value varies over the list (a missing one is 0), an indicator
// "top=NAME" on the rows that hold its largest value. The indicator is what carries over from one list to
// another: the spectrum's suspiciousness of the fix was the list's highest on the bugs inspected, but that
// highest is 1 on one list and 0.87 on the next, which a weight on the value alone tells apart only weakly.
//
// The hash buckets are two halves, one per role, plus the whole range for what both roles share. The kind,
// operator and node kind are hashed over the whole range (shared) and into the role's half; everything that
// names the site (the file's extension and directory, tokens of the path, of the enclosing function and of
// the code at the site, the operator with the node kind and with each operator symbol of that code: what an
// edit there would undo) only into the role's half. One network serves both roles, but what the solver
// learns about a site does not become the injector's preference there: with shared site tokens the
// injector came to break exactly where the solver had learnt to repair (TestRolesKeepTheirOwnSiteTokens).
// Token weights are 1 for the categorical tokens and 1/√n for the n tokens of a path or function, so long
// names do not dominate.
func (s Schema) Featurise(x []float64, role agent.Role, cands []agent.Candidate) {
	w := s.Width()
	x = x[:len(cands)*w]
	clear(x)
	top := featureTops(cands)
	for i, c := range cands {
		row := x[i*w : (i+1)*w]
		if role == agent.Injector {
			row[0] = 1
		} else {
			row[1] = 1
		}
		hashed := row[2 : 2+s.HashBuckets]
		own := roleBuckets(hashed, role)
		for _, tok := range []string{"kind=" + c.Kind, "op=" + c.Operator, "node=" + c.Node} {
			hashed[bucket(tok, len(hashed))] += 1
			own[bucket(tok, len(own))] += 1
		}
		for _, tok := range []string{"op|node=" + c.Operator + "|" + c.Node, "ext=" + path.Ext(c.File), "dir=" + path.Dir(c.File)} {
			own[bucket(tok, len(own))] += 1
		}
		addTokens(own, "path=", words(c.File))
		addTokens(own, "fn=", words(c.Function))
		code, syms := codeTokens(c.Code)
		addTokens(own, "code=", code)
		for _, sym := range syms {
			own[bucket("op|sym="+c.Operator+"|"+sym, len(own))] += 1
		}
		num := row[2+s.HashBuckets:]
		for k, v := range c.Features {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			num[bucket("num="+k, s.NumBuckets)] += math.Copysign(math.Log1p(math.Abs(v)), v)
		}
		for k, hi := range top {
			if c.Features[k] == hi {
				num[bucket("top="+k, s.NumBuckets)] += 1
			}
		}
	}
}

// featureTops maps each feature whose value varies over cands (a row without it, or with a value that is not
// a number, counts as 0) to its largest value.
func featureTops(cands []agent.Candidate) map[string]float64 {
	keys := map[string]bool{}
	for _, c := range cands {
		for k := range c.Features {
			keys[k] = true
		}
	}
	hi := map[string]float64{}
	for k := range keys {
		lo, top := math.Inf(1), math.Inf(-1)
		for _, c := range cands {
			v := c.Features[k]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				v = 0
			}
			lo, top = min(lo, v), max(top, v)
		}
		if top > lo {
			hi[k] = top
		}
	}
	return hi
}

func addTokens(hashed []float64, prefix string, toks []string) {
	if len(toks) == 0 {
		return
	}
	wt := 1 / math.Sqrt(float64(len(toks)))
	for _, t := range toks {
		hashed[bucket(prefix+t, len(hashed))] += wt
	}
}

// words splits a path or identifier into lower-case words: at separators and at lower-to-upper case changes.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, strings.ToLower(cur.String()))
			cur.Reset()
		}
	}
	prevLower := false
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		cur.WriteRune(r)
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	flush()
	return out
}

// codeTokens splits source code into tokens: the words of its identifiers (as words splits them), its
// operator symbols (runs of + - * / % < > = ! & | ^ ~ and the keywords and, or, not, is, in) and its number
// literals; syms are the operator symbols alone, each once.
func codeTokens(code string) (toks, syms []string) {
	const opChars = "+-*/%<>=!&|^~"
	seen := map[string]bool{}
	sym := func(s string) {
		toks = append(toks, s)
		if !seen[s] {
			seen[s] = true
			syms = append(syms, s)
		}
	}
	rs := []rune(code)
	for i := 0; i < len(rs); {
		r := rs[i]
		j := i + 1
		switch {
		case strings.ContainsRune(opChars, r):
			for j < len(rs) && strings.ContainsRune(opChars, rs[j]) {
				j++
			}
			sym(string(rs[i:j]))
		case unicode.IsDigit(r):
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
				j++
			}
			toks = append(toks, "num:"+string(rs[i:j]))
		case unicode.IsLetter(r) || r == '_':
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_') {
				j++
			}
			switch id := string(rs[i:j]); id {
			case "and", "or", "not", "is", "in":
				sym(id)
			default:
				toks = append(toks, words(id)...)
			}
		}
		i = j
	}
	return toks, syms
}

// roleBuckets is role's half of a row's hash buckets (the injector's first).
func roleBuckets(hashed []float64, role agent.Role) []float64 {
	half := len(hashed) / 2
	if role == agent.Injector {
		return hashed[:half]
	}
	return hashed[half:]
}

func bucket(tok string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(tok))
	return int(h.Sum32() % uint32(n))
}
