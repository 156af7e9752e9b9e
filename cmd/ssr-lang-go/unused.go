package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
)

// unusedLocals lists, per function, the local variables declared (:= or var) but never used — what Go
// rejects with "declared and not used". It works on names, without scopes or types: a name used anywhere
// in its function counts as used. ApplyMutation refuses a mutation that adds to this list.
func unusedLocals(src []byte) map[string]bool {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		defs := map[*ast.Ident]bool{}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.AssignStmt:
				if x.Tok == token.DEFINE {
					for _, l := range x.Lhs {
						if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
							defs[id] = true
						}
					}
				}
			case *ast.ValueSpec:
				for _, id := range x.Names {
					if id.Name != "_" {
						defs[id] = true
					}
				}
			case *ast.RangeStmt:
				if x.Tok == token.DEFINE {
					for _, e := range []ast.Expr{x.Key, x.Value} {
						if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
							defs[id] = true
						}
					}
				}
			}
			return true
		})
		used := map[string]bool{}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && !defs[id] {
				used[id.Name] = true
			}
			if sel, ok := n.(*ast.SelectorExpr); ok {
				ast.Inspect(sel.X, func(m ast.Node) bool {
					if id, ok := m.(*ast.Ident); ok {
						used[id.Name] = true
					}
					return true
				})
				return false // the selected field name is not a use of a variable of that name
			}
			return true
		})
		for id := range defs {
			if !used[id.Name] {
				out[funcName(fd)+"."+id.Name] = true
			}
		}
	}
	return out
}

// newlyUnused gives the locals unused in after but not in before, sorted.
func newlyUnused(before, after []byte) []string {
	b, a := unusedLocals(before), unusedLocals(after)
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
