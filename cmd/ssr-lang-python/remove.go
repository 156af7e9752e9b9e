package main

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// RemoveTests removes tests, named by pytest nodeids, from one test file: a top-level "def test_x" for
// "file::test_x", a method of a test class for "file::Class::test_m" (nested classes too), each with its
// decorators and whole lines. A parametrised id ("file::test_x[1-2]") removes the whole function test_x, so
// every other parameter's id goes with it; list them all to see them in Removed. When a class is left
// without statements it gets a "pass".
//
// A test that the class inherits (from a mixin or base class, in this file or imported) is hidden in that
// class by the class attribute "test_m = None" appended to its body: pytest and unittest then do not
// collect it, and the base class and its other subclasses keep it. A "name = None" attribute is not a test,
// so asking again on the result gives NotFound for that id. Ids this file defines or inherits but cannot
// remove are Unremovable with the reason: a test bound by another assignment ("test_m = _check"), a
// module-level test imported from another module. Ids whose file part is not Path, and ids this file does
// not define or inherit (generated tests, a module's collection error, a class with no base that has the
// test) are NotFound. A class whose bases are all in this file (or object/unittest.TestCase) is checked
// exactly; with a base from elsewhere, a test it does not define is assumed inherited and hidden.
//
// Hiding a parametrised id hides the whole function too (test_x = None). In a class with a base from
// another module, a removed method is replaced by "test_m = None" rather than deleted, for the same reasons.

// A file that does not parse is an error (the response has no field for it), and so, as an internal
// failure, would be a result that does not parse.
func (*python) RemoveTests(ctx context.Context, req *plugin.RemoveTestsRequest) (*plugin.RemoveTestsResponse, error) {
	tree, err := parsePython(req.Source)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	root := tree.RootNode()
	if msg := syntaxError(root, req.Source); msg != "" {
		return nil, fmt.Errorf("remove tests: %s does not parse (%s): fix the file first", req.Path, msg)
	}
	resp := &plugin.RemoveTestsResponse{Removed: []string{}, NotFound: []string{}}
	// Nodes to remove, by start byte, with the block that holds them.
	type target struct {
		node, block *sitter.Node
	}
	targets := map[uint]target{}
	hides := map[uintptr][]string{} // class body → inherited test names to hide there
	var hideOrder []*sitter.Node
	for _, id := range req.Tests {
		found := findTest(root, req.Source, req.Path, id)
		if len(found) == 0 {
			body, name, why := inheritedTest(root, req.Source, req.Path, id)
			switch {
			case why != "":
				if resp.Unremovable == nil {
					resp.Unremovable = map[string]string{}
				}
				resp.Unremovable[id] = why
			case body != nil:
				resp.Removed = append(resp.Removed, id)
				if _, ok := hides[body.Id()]; !ok {
					hideOrder = append(hideOrder, body)
				}
				if !slices.Contains(hides[body.Id()], name) {
					hides[body.Id()] = append(hides[body.Id()], name)
				}
			default:
				resp.NotFound = append(resp.NotFound, id)
			}
			continue
		}
		resp.Removed = append(resp.Removed, id)
		for _, f := range found {
			targets[f[0].StartByte()] = target{f[0], f[1]}
		}
	}
	if len(targets) == 0 && len(hides) == 0 {
		resp.Source = append([]byte(nil), req.Source...)
		return resp, nil
	}
	// Group by block to see which class bodies would be left empty.
	removedIn := map[uintptr]int{}
	// In a class with a base from another module, a removed method becomes "name = None": that base might
	// define the same test, which would otherwise come back, and asking again must find it not here.
	shadow := map[uint]string{}
	for s, t := range targets {
		if cls := t.block.Parent(); t.block.Kind() == "block" && cls != nil && cls.Kind() == "class_definition" && hasForeignBase(root, cls, req.Source, map[uintptr]bool{}) {
			shadow[s] = definitionName(definition(t.node), req.Source)
			continue
		}
		removedIn[t.block.Id()]++
	}
	var edits []edit
	for _, body := range hideOrder {
		e, ok := hideIn(body, req.Source, hides[body.Id()])
		if !ok {
			return nil, fmt.Errorf("remove tests from %s: cannot hide %v in a class whose body is on its class line: this is a bug in ssr-lang-python", req.Path, hides[body.Id()])
		}
		edits = append(edits, e)
	}
	padded := map[uintptr]bool{}
	starts := make([]uint, 0, len(targets))
	for s := range targets {
		starts = append(starts, s)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for _, s := range starts {
		t := targets[s]
		lineStart, lineEnd := wholeLines(req.Source, int(t.node.StartByte()), int(t.node.EndByte()))
		e := edit{lineStart, lineEnd, ""}
		if name, ok := shadow[s]; ok {
			eol := "\n"
			if bytes.HasSuffix(req.Source[:lineEnd], []byte("\r\n")) {
				eol = "\r\n"
			}
			e.text = string(req.Source[lineStart:t.node.StartByte()]) + name + " = None" + eol
		} else if b := t.block; b.Kind() == "block" && !padded[b.Id()] && hides[b.Id()] == nil && removedIn[b.Id()] == len(namedChildren(b)) {
			// The class body would be empty: the first removed statement becomes "pass".
			padded[b.Id()] = true
			eol := "\n"
			if bytes.HasSuffix(req.Source[:lineEnd], []byte("\r\n")) {
				eol = "\r\n"
			}
			e.text = string(req.Source[lineStart:t.node.StartByte()]) + "pass" + eol
		}
		edits = append(edits, e)
	}
	resp.Source = applyEdits(req.Source, edits)
	if err := checkSyntax(resp.Source); err != nil {
		return nil, fmt.Errorf("remove tests from %s: the result does not parse (%v): this is a bug in ssr-lang-python", req.Path, err)
	}
	return resp, nil
}

// findTest returns the statements (a function_definition, or the decorated_definition around it) that
// define a nodeid's test in this file, each with the node holding it (the module or a class body).
func findTest(root *sitter.Node, src []byte, file, id string) [][2]*sitter.Node {
	idFile, rest, ok := strings.Cut(id, "::")
	if !ok || rest == "" || file != "" && path.Clean(idFile) != path.Clean(file) {
		return nil
	}
	names := strings.Split(rest, "::")
	last := names[len(names)-1]
	if i := strings.IndexByte(last, '['); i >= 0 {
		last = last[:i]
	}
	containers := []*sitter.Node{root}
	for _, class := range names[:len(names)-1] {
		var next []*sitter.Node
		for _, c := range containers {
			for _, st := range namedChildren(c) {
				if def := definition(st); def != nil && def.Kind() == "class_definition" && definitionName(def, src) == class {
					if body := def.ChildByFieldName("body"); body != nil {
						next = append(next, body)
					}
				}
			}
		}
		containers = next
	}
	var found [][2]*sitter.Node
	for _, c := range containers {
		for _, st := range namedChildren(c) {
			if def := definition(st); def != nil && def.Kind() == "function_definition" && definitionName(def, src) == last {
				found = append(found, [2]*sitter.Node{st, c})
			}
		}
	}
	return found
}

// definition returns the class or function a statement defines, looking through decorators; nil otherwise.
func definition(st *sitter.Node) *sitter.Node {
	switch st.Kind() {
	case "function_definition", "class_definition":
		return st
	case "decorated_definition":
		return st.ChildByFieldName("definition")
	}
	return nil
}

// wholeLines widens [start, end) to whole lines: back to the line's start when only blanks precede start,
// and on through the newline after end.
func wholeLines(src []byte, start, end int) (int, int) {
	ls := bytes.LastIndexByte(src[:start], '\n') + 1
	if len(bytes.Trim(src[ls:start], " \t\f")) == 0 {
		start = ls
	}
	if i := bytes.IndexByte(src[end:], '\n'); i >= 0 {
		end += i + 1
	} else {
		end = len(src)
	}
	return start, end
}

// inheritedTest finds where to hide an id's test that its class does not define: the class body and the
// method name; why is set when the file has the test but it cannot be removed. All nil: not here.
func inheritedTest(root *sitter.Node, src []byte, file, id string) (body *sitter.Node, name, why string) {
	idFile, rest, ok := strings.Cut(id, "::")
	if !ok || rest == "" || file != "" && path.Clean(idFile) != path.Clean(file) {
		return nil, "", ""
	}
	names := strings.Split(rest, "::")
	name = names[len(names)-1]
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if len(names) == 1 {
		if importsName(root, src, name) {
			return nil, "", "imported into this module from another one: remove it there, or remove the import"
		}
		return nil, "", ""
	}
	var cls *sitter.Node
	container := root
	for _, class := range names[:len(names)-1] {
		cls = nil
		for _, st := range namedChildren(container) {
			if def := definition(st); def != nil && def.Kind() == "class_definition" && definitionName(def, src) == class {
				cls = def // a redefined class: the last one counts, as in Python
			}
		}
		if cls == nil || cls.ChildByFieldName("body") == nil {
			return nil, "", ""
		}
		container = cls.ChildByFieldName("body")
	}
	switch lookupMember(root, cls, src, name, map[uintptr]bool{}) {
	case memberAssigned:
		return nil, "", fmt.Sprintf("bound by an assignment (%s = …) in class %s or a base, not a def: change it by hand", name, names[len(names)-2])
	case memberInherited, memberImported:
		if _, ok := hideIn(container, src, []string{name}); !ok {
			return nil, "", fmt.Sprintf("inherited, but class %s has its body on the class line: ssr cannot add an attribute there", names[len(names)-2])
		}
		return container, name, ""
	}
	return nil, "", ""
}
