package main

import (
	"bytes"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// How a class gets an attribute named like a test (see lookupMember).
type member int

const (
	memberAbsent    member = iota // nowhere: the class has no such test
	memberHidden                  // "name = None" in the class or the base it comes from: not a test
	memberAssigned                // bound by another assignment ("test_x = _check"): a test ssr cannot remove
	memberDefined                 // a def in the class itself
	memberInherited               // a def in a base class defined in this file
	memberImported                // not found, and some base class comes from elsewhere: assumed inherited
)

// knownBases are base classes that define no test_* methods.
var knownBases = map[string]bool{
	"object": true, "TestCase": true, "unittest.TestCase": true,
	"IsolatedAsyncioTestCase": true, "unittest.IsolatedAsyncioTestCase": true,
}

// lookupMember says how class cls gets the attribute name, following its bases left to right, depth first
// (Python's MRO for the usual mixin shapes). Bases are looked up by name among the file's classes.
func lookupMember(root, cls *sitter.Node, src []byte, name string, seen map[uintptr]bool) member {
	if seen[cls.Id()] {
		return memberAbsent
	}
	seen[cls.Id()] = true
	if body := cls.ChildByFieldName("body"); body != nil {
		found := memberAbsent
		for _, st := range namedChildren(body) { // the last binding wins, as in Python
			if def := definition(st); def != nil && def.Kind() == "function_definition" && definitionName(def, src) == name {
				found = memberDefined
			} else if rhs, ok := assignedTo(st, src, name); ok {
				found = memberAssigned
				if rhs == "None" {
					found = memberHidden
				}
			}
		}
		if found != memberAbsent {
			return found
		}
	}
	imported := false
	if supers := cls.ChildByFieldName("superclasses"); supers != nil {
		for _, b := range namedChildren(supers) {
			if b.Kind() == "keyword_argument" { // metaclass=…
				continue
			}
			bname := text(b, src)
			base := classNamed(root, src, bname)
			if base == nil {
				imported = imported || !knownBases[bname]
				continue
			}
			switch m := lookupMember(root, base, src, name, seen); m {
			case memberAbsent:
			case memberDefined, memberInherited:
				return memberInherited
			default:
				return m
			}
		}
	}
	if imported {
		return memberImported
	}
	return memberAbsent
}

// assignedTo reports whether a statement is "name = value" and gives the value's text.
func assignedTo(st *sitter.Node, src []byte, name string) (string, bool) {
	if st.Kind() != "expression_statement" || st.NamedChildCount() != 1 {
		return "", false
	}
	a := st.NamedChild(0)
	if a.Kind() != "assignment" {
		return "", false
	}
	left, right := a.ChildByFieldName("left"), a.ChildByFieldName("right")
	if left == nil || right == nil || left.Kind() != "identifier" || text(left, src) != name {
		return "", false
	}
	return text(right, src), true
}

// classNamed finds a class defined anywhere in the file by its (unqualified) name.
func classNamed(root *sitter.Node, src []byte, name string) *sitter.Node {
	if strings.Contains(name, ".") || strings.Contains(name, "[") {
		return nil // module.Class, Generic[T]: not this file's
	}
	var found *sitter.Node
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		for _, st := range namedChildren(n) {
			if found != nil {
				return
			}
			def := definition(st)
			if def == nil || def.Kind() != "class_definition" {
				continue
			}
			if definitionName(def, src) == name {
				found = def
				return
			}
			if body := def.ChildByFieldName("body"); body != nil {
				walk(body)
			}
		}
	}
	walk(root)
	return found
}

// importsName reports whether a module-level import binds name ("from x import name", "import name").
func importsName(root *sitter.Node, src []byte, name string) bool {
	for _, st := range namedChildren(root) {
		if st.Kind() != "import_from_statement" && st.Kind() != "import_statement" {
			continue
		}
		for _, c := range namedChildren(st) {
			bound := text(c, src)
			if c.Kind() == "aliased_import" {
				if alias := c.ChildByFieldName("alias"); alias != nil {
					bound = text(alias, src)
				}
			}
			if bound == name && c != st.ChildByFieldName("module_name") {
				return true
			}
		}
	}
	return false
}

// hideIn gives the edit that appends "name = None" lines to a class body, after its last statement and with
// its indentation; ok is false for a body on the class line ("class T(B): pass").
func hideIn(body *sitter.Node, src []byte, names []string) (edit, bool) {
	stmts := namedChildren(body)
	if len(stmts) == 0 {
		return edit{}, false
	}
	first := stmts[0]
	ls := bytes.LastIndexByte(src[:first.StartByte()], '\n') + 1
	indent := src[ls:first.StartByte()]
	if len(bytes.Trim(indent, " \t\f")) != 0 {
		return edit{}, false
	}
	_, end := wholeLines(src, int(stmts[len(stmts)-1].StartByte()), int(stmts[len(stmts)-1].EndByte()))
	eol := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		eol = "\r\n"
	}
	var b strings.Builder
	if end == len(src) && !bytes.HasSuffix(src, []byte("\n")) {
		b.WriteString(eol)
	}
	for _, n := range names {
		b.WriteString(string(indent) + n + " = None" + eol)
	}
	return edit{end, end, b.String()}, true
}

// hasForeignBase reports whether a class has, directly or through bases in this file, a base class from
// another module (besides object and unittest's TestCase).
func hasForeignBase(root, cls *sitter.Node, src []byte, seen map[uintptr]bool) bool {
	if seen[cls.Id()] {
		return false
	}
	seen[cls.Id()] = true
	supers := cls.ChildByFieldName("superclasses")
	if supers == nil {
		return false
	}
	for _, b := range namedChildren(supers) {
		if b.Kind() == "keyword_argument" {
			continue
		}
		name := text(b, src)
		if base := classNamed(root, src, name); base != nil {
			if hasForeignBase(root, base, src, seen) {
				return true
			}
		} else if !knownBases[name] {
			return true
		}
	}
	return false
}
