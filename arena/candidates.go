package arena

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// siteAction is a candidate backed by a plugin mutation site: the arena carries it out with ApplyMutation.
type siteAction struct {
	cand     agent.Candidate
	site     plugin.MutationSite
	priority float64
}

// languageSources lists the repository's source files in the languages its tests are written in (by file
// extension), so that plugins are only asked about files they can parse.
func (r *Repo) languageSources() []string {
	exts := map[string]bool{}
	for _, f := range r.TestFiles {
		if e := path.Ext(f); e != "" {
			exts[e] = true
		}
	}
	var out []string
	for _, f := range r.SourceFiles() {
		if exts[path.Ext(f)] {
			out = append(out, f)
		}
	}
	return out
}

// siteActions asks the plugin for mutation sites in one file and turns each site × operator into a
// candidate of the given kind, keeping only the operators in ops (all when empty).
func siteActions(ctx context.Context, lang plugin.Language, kind, file string, src []byte, ops []string) ([]siteAction, error) {
	resp, err := lang.MutationSites(ctx, &plugin.MutationSitesRequest{Path: file, Source: src, Operators: ops})
	if err != nil {
		return nil, fmt.Errorf("mutation sites of %s: %w", file, err)
	}
	if resp.ParseError != "" {
		return nil, nil // not parseable by this plugin: no candidates here
	}
	allowed := map[string]bool{}
	for _, op := range ops {
		allowed[op] = true
	}
	var out []siteAction
	for _, s := range resp.Sites {
		for _, op := range s.Operators {
			if len(ops) > 0 && !allowed[op] {
				continue
			}
			out = append(out, siteAction{
				site: s,
				cand: agent.Candidate{
					Kind: kind, File: file, Line: s.Line, Node: s.Node, Operator: op, Function: s.Function,
					Description: fmt.Sprintf("%s %s:%d %s (%s)", op, file, s.Line, s.Node, s.Function),
				},
			})
		}
	}
	return out, nil
}

// applySite carries out one site action on src; refused says why the plugin would not.
func applySite(ctx context.Context, lang plugin.Language, file string, src []byte, act siteAction) (out []byte, desc, refused string, err error) {
	resp, err := lang.ApplyMutation(ctx, &plugin.ApplyMutationRequest{Path: file, Source: src, Site: act.site, Operator: act.cand.Operator})
	if err != nil {
		return nil, "", "", fmt.Errorf("apply %s at %s:%d: %w", act.cand.Operator, file, act.site.Line, err)
	}
	if resp.Refused != "" {
		return nil, "", resp.Refused, nil
	}
	return resp.Source, resp.Description, "", nil
}

// rankByOutput orders solver candidates by how strongly the failing tests point at them: the file named
// in the output, the enclosing function named in it, words shared by the function's name and the failing
// tests' names (TestRingPush → Ring.Push, test_add_and_subtract → Money.__add__), the file beside a failing
// test's package.
func rankByOutput(acts []siteAction, output string, failing []string, files map[string]string) {
	dirs := map[string]bool{}
	testWords := map[string]bool{}
	for _, id := range failing {
		if f, ok := files[id]; ok {
			dirs[path.Dir(f)] = true
		}
		if pkg, _, ok := strings.Cut(id, "::"); ok {
			dirs[pkg] = true // Go ids start with the import path; python ids with the file
		}
		name := id[strings.LastIndex(id, "::")+1:]
		if i := strings.IndexAny(name, "[/"); i >= 0 {
			name = name[:i]
		}
		for _, w := range words(name) {
			testWords[w] = true
		}
	}
	for i := range acts {
		a := &acts[i]
		p := 0.0
		if strings.Contains(output, path.Base(a.cand.File)) {
			p += 3
		}
		if fn := a.cand.Function; fn != "" {
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
		if operatorBias[a.cand.Operator] {
			p += 0.5 // a flipped operator is a commoner slip than a negated condition or swapped arguments
		}
		d := path.Dir(a.cand.File)
		for dir := range dirs {
			if dir == d || strings.HasSuffix(dir, "/"+d) {
				p++
				break
			}
		}
		a.priority = p
		a.cand.Features = map[string]float64{"output_priority": p}
	}
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].priority > acts[j].priority })
}

// operatorBias marks the operators whose edits undo the commonest one-token bugs.
var operatorBias = map[string]bool{
	plugin.OpComparisonFlip: true, plugin.OpArithmeticSwap: true, plugin.OpBooleanSwap: true, plugin.OpConstantOffByOne: true,
	plugin.OpConstantMinusOne: true,
}

// shortlist keeps the n best-ranked candidates, at most perFunction from any one function, so that a few
// busy functions do not crowd out the rest.
func shortlist(acts []siteAction, n, perFunction int) []siteAction {
	var out []siteAction
	per := map[string]int{}
	for _, a := range acts {
		key := a.cand.File + "\x00" + a.cand.Function
		if per[key] >= perFunction {
			continue
		}
		per[key]++
		out = append(out, a)
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
