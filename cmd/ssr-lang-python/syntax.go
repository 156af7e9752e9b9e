package main

import (
	"fmt"
	"strings"

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

// namedChildren lists a node's named children, comments left out.
func namedChildren(n *sitter.Node) []*sitter.Node {
	var out []*sitter.Node
	for i := uint(0); i < n.NamedChildCount(); i++ {
		c := n.NamedChild(i)
		if c.Kind() != "comment" {
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
