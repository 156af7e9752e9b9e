package main

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// RemoveTests removes tests, named by pytest nodeids, from one test file: a top-level "def test_x" for
// "file::test_x", a method of a test class for "file::Class::test_m" (nested classes too), each with its
// decorators and whole lines. A parametrised id ("file::test_x[1-2]") removes the whole function test_x, so
// every other parameter's id goes with it; list them all to see them in Removed. When a class is left
// without statements it gets a "pass". Ids whose file part is not Path, and ids with no such function here
// (inherited or generated tests, a module's collection error), are NotFound.
//
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
	for _, id := range req.Tests {
		found := findTest(root, req.Source, req.Path, id)
		if len(found) == 0 {
			resp.NotFound = append(resp.NotFound, id)
			continue
		}
		resp.Removed = append(resp.Removed, id)
		for _, f := range found {
			targets[f[0].StartByte()] = target{f[0], f[1]}
		}
	}
	if len(targets) == 0 {
		resp.Source = append([]byte(nil), req.Source...)
		return resp, nil
	}
	// Group by block to see which class bodies would be left empty.
	removedIn := map[uintptr]int{}
	for _, t := range targets {
		removedIn[t.block.Id()]++
	}
	var edits []edit
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
		if b := t.block; b.Kind() == "block" && !padded[b.Id()] && removedIn[b.Id()] == len(namedChildren(b)) {
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
