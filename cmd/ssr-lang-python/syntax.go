package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"

	sitter "github.com/tree-sitter/go-tree-sitter"
	tspython "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

// pythonLanguage is tree-sitter's Python grammar; a Language is immutable and shared by every parser.
var pythonLanguage = sitter.NewLanguage(tspython.Language())

// parsePython parses src with a fresh parser (parsers are not safe for concurrent use, and one costs little
// next to a parse). The caller closes the tree.
func parsePython(src []byte) (*sitter.Tree, error) {
	p := sitter.NewParser()
	defer p.Close()
	if err := p.SetLanguage(pythonLanguage); err != nil {
		return nil, fmt.Errorf("load the tree-sitter Python grammar: %w", err)
	}
	tree := p.Parse(src, nil)
	if tree == nil {
		return nil, fmt.Errorf("tree-sitter returned no tree for %d bytes of Python", len(src))
	}
	return tree, nil
}

// lastParse keeps the tree of the last source parsed through parseCached: a caller (the arena's native
// agent, say) lists a file's sites and then applies operators to that same file many times over.
var lastParse struct {
	sync.Mutex
	src  []byte
	tree *sitter.Tree
}

// parseCached is parsePython with a one-entry cache. The caller closes the tree it gets (a copy, which
// tree-sitter makes in constant time and which is safe to use while another goroutine uses another copy).
func parseCached(src []byte) (*sitter.Tree, error) {
	lastParse.Lock()
	defer lastParse.Unlock()
	if lastParse.tree != nil && bytes.Equal(lastParse.src, src) {
		return lastParse.tree.Clone(), nil
	}
	tree, err := parsePython(src)
	if err != nil {
		return nil, err
	}
	if lastParse.tree != nil {
		lastParse.tree.Close()
	}
	lastParse.src, lastParse.tree = append([]byte(nil), src...), tree
	return tree.Clone(), nil
}

// syntaxError describes the first ERROR or MISSING node under root ("" when there is none).
func syntaxError(root *sitter.Node, src []byte) string {
	if !root.HasError() {
		return ""
	}
	var found *sitter.Node
	var visit func(n *sitter.Node)
	visit = func(n *sitter.Node) {
		if found != nil || !n.HasError() && !n.IsMissing() {
			return
		}
		if n.IsError() || n.IsMissing() {
			found = n
			return
		}
		for i := uint(0); i < n.ChildCount(); i++ {
			visit(n.Child(i))
		}
	}
	visit(root)
	if found == nil {
		return "syntax error"
	}
	pos := found.StartPosition()
	what := "syntax error"
	if found.IsMissing() {
		what = fmt.Sprintf("missing %q", found.Kind())
	}
	return fmt.Sprintf("line %d column %d: %s near %q", pos.Row+1, pos.Column+1, what, snippet(src, found))
}

// checkSyntax reports whether src parses without ERROR or MISSING nodes.
func checkSyntax(src []byte) error {
	tree, err := parsePython(src)
	if err != nil {
		return err
	}
	defer tree.Close()
	if msg := syntaxError(tree.RootNode(), src); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// text is a node's source text.
func text(n *sitter.Node, src []byte) string { return string(src[n.StartByte():n.EndByte()]) }

// snippet is a node's text cut to its first line and 40 bytes, for descriptions.
func snippet(src []byte, n *sitter.Node) string {
	s := text(n, src)
	cut := false
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s, cut = s[:i], true
	}
	if len(s) > 40 {
		s = s[:40]
		for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			s = s[:len(s)-1]
		}
		if len(s) > 0 && s[len(s)-1]&0xC0 == 0xC0 {
			s = s[:len(s)-1]
		}
		cut = true
	}
	if cut {
		s += "…"
	}
	return s
}

// namedChildren lists a node's named children, extras (comments, line continuations) left out.
func namedChildren(n *sitter.Node) []*sitter.Node {
	var out []*sitter.Node
	for i := uint(0); i < n.NamedChildCount(); i++ {
		c := n.NamedChild(i)
		if !c.IsExtra() && c.Kind() != "comment" && c.Kind() != "line_continuation" {
			out = append(out, c)
		}
	}
	return out
}

// isDocstring reports whether a statement is a bare string (a docstring where it comes first).
func isDocstring(stmt *sitter.Node) bool {
	if stmt.Kind() != "expression_statement" || stmt.NamedChildCount() != 1 {
		return false
	}
	k := stmt.NamedChild(0).Kind()
	return k == "string" || k == "concatenated_string"
}

// isEllipsisStatement reports a statement that is just "...".
func isEllipsisStatement(stmt *sitter.Node) bool {
	return stmt.Kind() == "expression_statement" && stmt.NamedChildCount() == 1 && stmt.NamedChild(0).Kind() == "ellipsis"
}

// definitionName is the name of a function_definition or class_definition.
func definitionName(n *sitter.Node, src []byte) string {
	if name := n.ChildByFieldName("name"); name != nil {
		return text(name, src)
	}
	return ""
}

// applyAndCheck splices edits into src and checks that the result parses. It reparses incrementally from
// tree (the parse of src), which costs a fraction of a fresh parse for the small edits mutations make;
// tree-sitter guarantees the same tree as a fresh parse.
func applyAndCheck(tree *sitter.Tree, src []byte, edits []edit) ([]byte, error) {
	out := applyEdits(src, edits)
	old := tree.Clone()
	defer old.Close()
	sorted := append([]edit(nil), edits...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].start > sorted[j].start })
	// Later edits first: the text before each edit is then still the original one.
	for _, e := range sorted {
		start := pointAt(src, e.start)
		old.Edit(&sitter.InputEdit{
			StartByte:      uint(e.start),
			OldEndByte:     uint(e.end),
			NewEndByte:     uint(e.start + len(e.text)),
			StartPosition:  start,
			OldEndPosition: pointAt(src, e.end),
			NewEndPosition: advance(start, e.text),
		})
	}
	p := sitter.NewParser()
	defer p.Close()
	if err := p.SetLanguage(pythonLanguage); err != nil {
		return nil, fmt.Errorf("load the tree-sitter Python grammar: %w", err)
	}
	re := p.Parse(out, old)
	if re == nil {
		return nil, fmt.Errorf("tree-sitter returned no tree for %d bytes of Python", len(out))
	}
	defer re.Close()
	if msg := syntaxError(re.RootNode(), out); msg != "" {
		return out, fmt.Errorf("%s", msg)
	}
	return out, nil
}

// pointAt is the row and byte column of a byte offset.
func pointAt(src []byte, off int) sitter.Point {
	row := bytes.Count(src[:off], []byte("\n"))
	return sitter.Point{Row: uint(row), Column: uint(off - (bytes.LastIndexByte(src[:off], '\n') + 1))}
}

// advance is the point after text inserted at p.
func advance(p sitter.Point, text string) sitter.Point {
	if n := strings.Count(text, "\n"); n > 0 {
		return sitter.Point{Row: p.Row + uint(n), Column: uint(len(text) - (strings.LastIndexByte(text, '\n') + 1))}
	}
	return sitter.Point{Row: p.Row, Column: p.Column + uint(len(text))}
}
