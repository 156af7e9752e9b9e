package main

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// RemoveTests removes top-level test functions (Test*, Benchmark*, Fuzz*, Example*, or any function named
// by an id) with their doc comments, then the imports left unused, so the file still compiles.
//
// Ids are "<import path>::<Name>" as the gotest-json parser reports them (a bare "Name" is accepted). The
// import path is not checked against the file: the caller chose the file. A subtest id
// "<import path>::TestX/sub" removes the whole TestX (Go cannot remove one row of a table without
// rewriting it) and is reported as removed; so is every other subtest id of the same TestX.
func (goLanguage) RemoveTests(_ context.Context, req *plugin.RemoveTestsRequest) (*plugin.RemoveTestsResponse, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, req.Path, req.Source, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		resp := &plugin.RemoveTestsResponse{Source: req.Source, NotFound: req.Tests}
		return resp, nil // a test file that does not parse defines no test we can find
	}
	funcs := map[string]*ast.FuncDecl{}
	for _, d := range file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Body != nil {
			funcs[fd.Name.Name] = fd
		}
	}
	resp := &plugin.RemoveTestsResponse{}
	drop := map[*ast.FuncDecl]bool{}
	for _, id := range req.Tests {
		name := id
		if i := strings.LastIndex(id, "::"); i >= 0 {
			name = id[i+2:]
		}
		top, _, _ := strings.Cut(name, "/")
		if fd, ok := funcs[top]; ok && top != "" {
			drop[fd] = true
			resp.Removed = append(resp.Removed, id)
		} else {
			resp.NotFound = append(resp.NotFound, id)
		}
	}
	if len(drop) == 0 {
		resp.Source = req.Source
		return resp, nil
	}
	var cuts []span
	src := req.Source
	for fd := range drop {
		start := fd.Pos()
		if fd.Doc != nil {
			start = fd.Doc.Pos()
		}
		s, e := fset.Position(start).Offset, fset.Position(fd.End()).Offset
		if ls, le, ok := ownLines(src, s, e); ok {
			s, e = ls, le
			// take one blank line with it, so no double blank line is left behind
			if e < len(src) && src[e] == '\n' {
				e++
			} else if s > 0 && s >= 2 && src[s-1] == '\n' && src[s-2] == '\n' {
				s--
			}
		}
		cuts = append(cuts, span{s, e})
	}
	resp.Source = pruneImports(cutSpans(src, cuts))
	return resp, nil
}
