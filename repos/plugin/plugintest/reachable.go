package plugintest

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Reach is what Reachable checked on one file and what it found wrong.
type Reach struct {
	Undone   map[string]int // single mutations undone by one solver edit, by operator
	Refused  int            // site × operator pairs the plugin refused (nothing to undo)
	ThreeAt  int            // three mutations in one file, undone one edit at a time
	Order2   int            // a wrong edit on top of a mutation (at the same site or another), both undone
	Failures []string
}

// How many multi-site cases Reachable builds per file, spread over its sites.
const (
	maxThreeSite = 24
	maxOrder2    = 24
)

// Reachable checks that every mutation a structured solver is asked to repair can be repaired one edit at
// a time. The solver's edits at a site are its candidates there: MutationSites of the current file filtered
// to plugin.InvertibleOperators, at the sites whose byte range touches the change. Reachable checks, on the
// file src:
//
//   - every invertible operator at every site: some solver edit at the mutated site gives src back, byte for
//     byte;
//   - three mutations at disjoint sites at once: undone one by one (the first first, whose undoing shifts
//     the others), each step giving exactly the file with the remaining mutations;
//   - an order-2 bug: a wrong solver edit on top of a mutation, at the same site and at another site; the
//     wrong edit is undone first, then the mutation.
//
// An error is a failed plugin call; what is wrong with the plugin's operators is in Failures.
func Reachable(ctx context.Context, lang plugin.Language, path string, src []byte) (*Reach, error) {
	r := &reacher{ctx: ctx, lang: lang, path: path}
	rep := &Reach{Undone: map[string]int{}}
	sites, err := r.sites(src)
	if err != nil {
		return nil, err
	}
	var mutants []mutant
	for _, s := range sites {
		for _, op := range s.Operators {
			out, refused, err := r.apply(src, s, op)
			if err != nil {
				return nil, err
			}
			if refused != "" {
				rep.Refused++
				continue
			}
			ok, err := r.undo(out, src)
			if err != nil {
				return nil, err
			}
			if !ok {
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s:%d %s at %s [%d, %d): no solver edit at the site gives the original back",
					path, s.Line, op, s.Node, s.StartByte, s.EndByte))
				continue
			}
			rep.Undone[op]++
			mutants = append(mutants, mutant{s, op, out})
		}
	}

	// Three at once: each group takes the next two mutants whose sites start after the previous one ends.
	for i := 0; i < len(mutants); i += max(1, len(mutants)/maxThreeSite) {
		group := []mutant{mutants[i]}
		for j := i + 1; j < len(mutants) && len(group) < 3; j++ {
			if mutants[j].site.StartByte >= group[len(group)-1].site.EndByte {
				group = append(group, mutants[j])
			}
		}
		if len(group) < 3 {
			continue
		}
		// Applied from the last site to the first, each site's bytes are unchanged when it is mutated.
		// states[k] is src with group[k:] mutated.
		states := make([][]byte, 4)
		states[3] = src
		refused := false
		for k := 2; k >= 0; k-- {
			out, why, err := r.apply(states[k+1], group[k].site, group[k].op)
			if err != nil {
				return nil, err
			}
			if why != "" {
				refused = true // one mutation makes another's site differ: not a case to check
				break
			}
			states[k] = out
		}
		if refused {
			continue
		}
		rep.ThreeAt++
		for k := 0; k < 3; k++ {
			ok, err := r.undo(states[k], states[k+1])
			if err != nil {
				return nil, err
			}
			if !ok {
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s: three mutations (%s): no solver edit undoes %s at line %d, the first of those left",
					path, describe(group[k:]...), group[k].op, group[k].site.Line))
				break
			}
		}
	}

	// Order 2: a wrong edit on top of a mutation. At the same site, the wrong edit is another solver
	// operator there; at another site, it is any solver edit at the next site that does not overlap.
	for i := 0; i < len(mutants); i += max(1, len(mutants)/maxOrder2) {
		m := mutants[i]
		wrong, err := r.wrongEdits(m.out, src)
		if err != nil {
			return nil, err
		}
		for _, w := range wrong {
			rep.Order2++ // undoing m itself was checked above
			if ok, err := r.undo(w, m.out); err != nil {
				return nil, err
			} else if !ok {
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s:%d order 2 on %s: a wrong edit at the same site is not undone by one solver edit", path, m.site.Line, m.op))
			}
		}
		for j := i + 1; j < len(mutants); j++ {
			n := mutants[j]
			if n.site.StartByte < m.site.EndByte {
				continue
			}
			// The wrong edit n, at a later site, is applied first: m's site keeps its bytes.
			both, why, err := r.apply(n.out, m.site, m.op)
			if err != nil {
				return nil, err
			}
			if why != "" {
				break
			}
			rep.Order2++
			// Undo the wrong edit: the file with the mutation alone.
			if ok, err := r.undo(both, m.out); err != nil {
				return nil, err
			} else if !ok {
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s: order 2 (%s, then a wrong edit %s): the wrong edit is not undone by one solver edit",
					path, describe(m), describe(n)))
			}
			break
		}
	}
	return rep, nil
}

// mutant is one site × operator applied to the file.
type mutant struct {
	site plugin.MutationSite
	op   string
	out  []byte
}

// describe names mutations for a failure line: "comparison_flip at line 3, …".
func describe(ms ...mutant) string {
	var b bytes.Buffer
	for i, m := range ms {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s at line %d", m.op, m.site.Line)
	}
	return b.String()
}

type reacher struct {
	ctx  context.Context
	lang plugin.Language
	path string
}

// sites lists the sites of src with their invertible operators.
func (r *reacher) sites(src []byte) ([]plugin.MutationSite, error) {
	resp, err := r.lang.MutationSites(r.ctx, &plugin.MutationSitesRequest{Path: r.path, Source: src, Operators: plugin.InvertibleOperators})
	if err != nil {
		return nil, fmt.Errorf("MutationSites of %s: %w", r.path, err)
	}
	if resp.ParseError != "" {
		return nil, fmt.Errorf("MutationSites of %s: does not parse: %s", r.path, resp.ParseError)
	}
	var out []plugin.MutationSite
	for _, s := range resp.Sites {
		s.Operators = slices.DeleteFunc(slices.Clone(s.Operators), func(op string) bool { return !slices.Contains(plugin.InvertibleOperators, op) })
		if len(s.Operators) > 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

func (r *reacher) apply(src []byte, s plugin.MutationSite, op string) (out []byte, refused string, err error) {
	resp, err := r.lang.ApplyMutation(r.ctx, &plugin.ApplyMutationRequest{Path: r.path, Source: src, Site: s, Operator: op})
	if err != nil {
		return nil, "", fmt.Errorf("ApplyMutation %s at %s:%d: %w", op, r.path, s.Line, err)
	}
	return resp.Source, resp.Refused, nil
}

// atChange lists the solver's edits of got at the sites that touch where got differs from want.
func (r *reacher) atChange(got, want []byte) ([]plugin.MutationSite, error) {
	lo, hi := changed(got, want)
	sites, err := r.sites(got)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(sites, func(s plugin.MutationSite) bool { return s.StartByte > hi || s.EndByte < lo }), nil
}

// undo reports whether one solver edit at the change turns got into want.
func (r *reacher) undo(got, want []byte) (bool, error) {
	sites, err := r.atChange(got, want)
	if err != nil {
		return false, err
	}
	for _, s := range sites {
		for _, op := range s.Operators {
			out, refused, err := r.apply(got, s, op)
			if err != nil {
				return false, err
			}
			if refused == "" && bytes.Equal(out, want) {
				return true, nil
			}
		}
	}
	return false, nil
}

// wrongEdits are the results of the solver's edits at the site of a mutation (the change from orig to
// mutated) that give neither file back: what a wrong repair there looks like. At most two.
func (r *reacher) wrongEdits(mutated, orig []byte) ([][]byte, error) {
	sites, err := r.atChange(mutated, orig)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, s := range sites {
		for _, op := range s.Operators {
			w, refused, err := r.apply(mutated, s, op)
			if err != nil {
				return nil, err
			}
			if refused == "" && !bytes.Equal(w, orig) && !bytes.Equal(w, mutated) {
				out = append(out, w)
				if len(out) == 2 {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

// changed is the byte range of got that differs from want, after their common prefix and suffix.
func changed(got, want []byte) (lo, hi int) {
	n := min(len(got), len(want))
	for lo < n && got[lo] == want[lo] {
		lo++
	}
	s := 0
	for s < n-lo && got[len(got)-1-s] == want[len(want)-1-s] {
		s++
	}
	return lo, len(got) - s
}
