package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path"
	"sort"
	"strconv"
	"strings"
)

func exprString(e ast.Expr) string { return types.ExprString(e) }

// pruneImports removes the imports src no longer uses (Go rejects unused imports), keeping every other
// byte. Blank (_) and dot imports are kept: they are used for their side effects or cannot be checked
// without type information. A source that does not parse is returned unchanged.
func pruneImports(src []byte) []byte {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return src
	}
	used := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var cuts []span
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	whole := func(start, end int) span {
		if ls, le, ok := ownLines(src, start, end); ok {
			return span{ls, le}
		}
		return span{start, end}
	}
	for _, d := range file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var unused []*ast.ImportSpec
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			if name := importName(is); name != "" && !used[name] {
				unused = append(unused, is)
			}
		}
		if len(unused) == 0 {
			continue
		}
		if len(unused) == len(gd.Specs) {
			start := gd.Pos()
			if gd.Doc != nil {
				start = gd.Doc.Pos()
			}
			c := whole(off(start), off(gd.End()))
			if c.end < len(src) && src[c.end] == '\n' && c.start > 0 && src[c.start-1] == '\n' {
				c.end++ // and one of the blank lines around it
			}
			cuts = append(cuts, c)
			continue
		}
		for _, is := range unused {
			start, end := is.Pos(), is.End()
			if is.Doc != nil {
				start = is.Doc.Pos()
			}
			if is.Comment != nil {
				end = is.Comment.End()
			}
			cuts = append(cuts, whole(off(start), off(end)))
		}
	}
	return cutSpans(src, cuts)
}

// span is a byte range [start, end) of a source.
type span struct{ start, end int }

// cutSpans returns src without the given ranges; overlapping ranges are merged first.
func cutSpans(src []byte, cuts []span) []byte {
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].start < cuts[j].start })
	out := make([]byte, 0, len(src))
	at := 0
	for _, c := range cuts {
		if c.start > at {
			out = append(out, src[at:c.start]...)
		}
		at = max(at, c.end)
	}
	return append(out, src[at:]...)
}

// importName is the name an import is used by: its explicit name, or the last element of its path
// without a major-version suffix (gopkg.in/yaml.v3 → yaml, example.com/x/v2 → x). Empty for _ and .
// imports.
func importName(is *ast.ImportSpec) string {
	if is.Name != nil {
		if is.Name.Name == "_" || is.Name.Name == "." {
			return ""
		}
		return is.Name.Name
	}
	p, err := strconv.Unquote(is.Path.Value)
	if err != nil {
		return ""
	}
	base := path.Base(p)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" && path.Dir(p) != "." {
		base = path.Base(path.Dir(p))
	}
	if i := strings.Index(base, ".v"); i > 0 {
		base = base[:i]
	}
	base = strings.TrimPrefix(base, "go-")
	if !token.IsIdentifier(base) {
		return "" // the package name cannot be told from the path: keep the import
	}
	return base
}
