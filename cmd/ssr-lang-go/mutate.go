package main

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Mutations are byte-range splices: everything outside the mutated node stays byte-identical. Where a
// mutation could leave an import unused (remove_statement, remove_body) the unused imports are pruned too,
// so the file keeps compiling. What is offered where:
//
//	comparison_flip     *ast.BinaryExpr ==, !=, <, <=, >, >=    → its negation (< ↔ >=, > ↔ <=, == ↔ !=)
//	boundary_shift      *ast.BinaryExpr <, <=, >, >=            → < ↔ <=, > ↔ >=
//	boolean_swap        *ast.BinaryExpr &&, ||                   → the other
//	arithmetic_swap     *ast.BinaryExpr + ↔ -, * ↔ /, << ↔ >>, & ↔ |, the same in *ast.AssignStmt (+= ↔ -=, …),
//	                    *ast.IncDecStmt ++ ↔ --  (not on + with a string literal operand: string
//	                    concatenation has no inverse; not on %, ^, &^, which have no partner)
//	constant_off_by_one *ast.BasicLit integer                    → n+1; constant_minus_one → n-1 (n ≥ 1), only
//	                    on literals written as these write them (no _, no leading zeros, hex digits in the
//	                    case of the 0x/0X prefix), so that each undoes the other byte for byte
//	negate_condition    *ast.IfStmt (range = the condition)      → !(cond), or x when cond reads exactly !(x)
//	remove_statement    *ast.ExprStmt, *ast.AssignStmt with = or op=, *ast.IncDecStmt, *ast.DeferStmt,
//	                    *ast.GoStmt, *ast.SendStmt, *ast.BranchStmt, and *ast.ReturnStmt unless it ends
//	                    the function body — statements whose removal keeps the code compiling (no :=, whose
//	                    variables later code needs; no final return, which Go requires)
//	default_return      *ast.ReturnStmt with results              → the zero value of each result type
//	                    (0, "", false, nil, or *new(T) for a named type)
//	swap_arguments      *ast.CallExpr with two or more arguments  → the first two swapped (not with ...)
//	remove_body         *ast.FuncDecl with a body (range = the body) → { return zero values } ({ return }
//	                    with named results)
//
// The site's Function is "Recv.Method" or "Func"; code in a function literal belongs to the enclosing
// declaration.

// site is one mutation site with its operators and how to apply each.
type site struct {
	plugin.MutationSite
	apply map[string]func() (edit, error)
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
	desc       string
	prune      bool // prune imports left unused afterwards
}

type siteKey struct {
	start, end int
	node       string
}

type collector struct {
	fset  *token.FileSet
	file  *ast.File
	src   []byte
	sites map[siteKey]*site
	fn    string           // enclosing function declaration's name
	types []*ast.FuncType  // enclosing function types, innermost last
	body  []*ast.BlockStmt // enclosing function bodies, innermost last
}

func (goLanguage) MutationSites(_ context.Context, req *plugin.MutationSitesRequest) (*plugin.MutationSitesResponse, error) {
	sites, perr := collectSites(req.Path, req.Source)
	if perr != nil {
		return &plugin.MutationSitesResponse{ParseError: perr.Error()}, nil
	}
	out := []plugin.MutationSite{}
	for _, s := range sites {
		ms := s.MutationSite
		if len(req.Operators) > 0 {
			ms.Operators = slices.DeleteFunc(slices.Clone(ms.Operators), func(op string) bool { return !slices.Contains(req.Operators, op) })
		}
		if len(ms.Operators) > 0 {
			out = append(out, ms)
		}
	}
	return &plugin.MutationSitesResponse{Sites: out}, nil
}

func (goLanguage) ApplyMutation(_ context.Context, req *plugin.ApplyMutationRequest) (*plugin.ApplyMutationResponse, error) {
	refuse := func(format string, args ...any) (*plugin.ApplyMutationResponse, error) {
		return &plugin.ApplyMutationResponse{Refused: fmt.Sprintf(format, args...)}, nil
	}
	sites, perr := collectSites(req.Path, req.Source)
	if perr != nil {
		return refuse("%s does not parse: %v", req.Path, perr)
	}
	var s *site
	for _, c := range sites {
		if c.StartByte == req.Site.StartByte && c.EndByte == req.Site.EndByte && c.Node == req.Site.Node {
			s = c
			break
		}
	}
	if s == nil {
		return refuse("no %s site at bytes [%d, %d) of %s (list the sites of this very source first)", req.Site.Node, req.Site.StartByte, req.Site.EndByte, req.Path)
	}
	apply, ok := s.apply[req.Operator]
	if !ok {
		return refuse("%s does not apply to the %s at line %d (it offers %s)", req.Operator, s.Node, s.Line, strings.Join(s.Operators, ", "))
	}
	e, err := apply()
	if err != nil {
		return refuse("%s at line %d: %v", req.Operator, s.Line, err)
	}
	out := splice(req.Source, e)
	if e.prune {
		out = pruneImports(out)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), req.Path, out, parser.SkipObjectResolution); err != nil {
		return refuse("%s at line %d would give code that does not parse: %v", req.Operator, s.Line, err)
	}
	if unused := newlyUnused(req.Source, out); len(unused) > 0 {
		return refuse("%s at line %d would leave %s declared and not used, which Go does not compile", req.Operator, s.Line, strings.Join(unused, ", "))
	}
	return &plugin.ApplyMutationResponse{Source: out, Description: fmt.Sprintf("line %d: %s", s.Line, e.desc)}, nil
}

func splice(src []byte, e edit) []byte {
	out := make([]byte, 0, len(src)-(e.end-e.start)+len(e.text))
	out = append(out, src[:e.start]...)
	out = append(out, e.text...)
	return append(out, src[e.end:]...)
}

// collectSites parses src and lists its sites in source order.
func collectSites(name string, src []byte) ([]*site, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	c := &collector{fset: fset, file: file, src: src, sites: map[siteKey]*site{}}
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue // package-level declarations: constants and initialisers are left alone
		}
		c.fn = funcName(fd)
		c.funcDecl(fd)
	}
	out := make([]*site, 0, len(c.sites))
	for _, s := range c.sites {
		sort.Strings(s.Operators)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.StartByte != b.StartByte {
			return a.StartByte < b.StartByte
		}
		if a.EndByte != b.EndByte {
			return a.EndByte > b.EndByte
		}
		return a.Node < b.Node
	})
	return out, nil
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.ParenExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fd.Name.Name
	}
}

func (c *collector) off(p token.Pos) int { return c.fset.Position(p).Offset }

func (c *collector) text(n ast.Node) string { return string(c.src[c.off(n.Pos()):c.off(n.End())]) }

// add registers op at node n (range start..end) with its edit.
func (c *collector) add(n ast.Node, start, end token.Pos, op string, f func() (edit, error)) {
	k := siteKey{c.off(start), c.off(end), fmt.Sprintf("%T", n)}
	s, ok := c.sites[k]
	if !ok {
		pos := c.fset.Position(start)
		s = &site{MutationSite: plugin.MutationSite{
			StartByte: k.start, EndByte: k.end, Line: pos.Line, Column: pos.Column, Node: k.node, Function: c.fn,
		}, apply: map[string]func() (edit, error){}}
		c.sites[k] = s
	}
	if _, dup := s.apply[op]; !dup {
		s.Operators = append(s.Operators, op)
	}
	s.apply[op] = f
}

func (c *collector) funcDecl(fd *ast.FuncDecl) {
	if fd.Body == nil {
		return
	}
	c.types, c.body = append(c.types, fd.Type), append(c.body, fd.Body)
	c.removeBody(fd)
	c.walk(fd.Body)
	c.types, c.body = c.types[:len(c.types)-1], c.body[:len(c.body)-1]
}

// walk visits a function body, tracking function literals so returns know their result types.
func (c *collector) walk(root ast.Node) {
	ast.Inspect(root, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			c.types, c.body = append(c.types, x.Type), append(c.body, x.Body)
			c.walk(x.Body)
			c.types, c.body = c.types[:len(c.types)-1], c.body[:len(c.body)-1]
			return false
		case *ast.BinaryExpr:
			c.binary(x)
		case *ast.BasicLit:
			c.intLiteral(x)
		case *ast.IfStmt:
			c.negate(x)
		case *ast.CallExpr:
			c.swapArgs(x)
		case *ast.AssignStmt:
			c.assignOp(x)
		case *ast.IncDecStmt:
			c.incDec(x)
		case *ast.ReturnStmt:
			c.defaultReturn(x)
		case *ast.BlockStmt:
			c.statements(x.List)
		case *ast.CaseClause:
			c.statements(x.Body)
		case *ast.CommClause:
			c.statements(x.Body)
		}
		return true
	})
}

var (
	comparisonFlip = map[token.Token]token.Token{token.EQL: token.NEQ, token.NEQ: token.EQL, token.LSS: token.GEQ, token.GEQ: token.LSS, token.GTR: token.LEQ, token.LEQ: token.GTR}
	booleanSwap    = map[token.Token]token.Token{token.LAND: token.LOR, token.LOR: token.LAND}
	boundaryShift  = map[token.Token]token.Token{token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR}
	// Every table is an involution: the same operator at the same site undoes itself.
	arithmeticSwap = map[token.Token]token.Token{token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO, token.QUO: token.MUL,
		token.SHL: token.SHR, token.SHR: token.SHL, token.AND: token.OR, token.OR: token.AND,
		token.ADD_ASSIGN: token.SUB_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN, token.MUL_ASSIGN: token.QUO_ASSIGN, token.QUO_ASSIGN: token.MUL_ASSIGN,
		token.SHL_ASSIGN: token.SHR_ASSIGN, token.SHR_ASSIGN: token.SHL_ASSIGN, token.AND_ASSIGN: token.OR_ASSIGN, token.OR_ASSIGN: token.AND_ASSIGN,
		token.INC: token.DEC, token.DEC: token.INC}
)

// swapToken replaces the operator token at pos.
func (c *collector) swapToken(pos token.Pos, from, to token.Token) func() (edit, error) {
	return func() (edit, error) {
		o := c.off(pos)
		return edit{start: o, end: o + len(from.String()), text: to.String(), desc: fmt.Sprintf("'%s' → '%s'", from, to)}, nil
	}
}

func (c *collector) binary(x *ast.BinaryExpr) {
	if to, ok := comparisonFlip[x.Op]; ok {
		c.add(x, x.Pos(), x.End(), plugin.OpComparisonFlip, c.swapToken(x.OpPos, x.Op, to))
	}
	if to, ok := boundaryShift[x.Op]; ok {
		c.add(x, x.Pos(), x.End(), plugin.OpBoundaryShift, c.swapToken(x.OpPos, x.Op, to))
	}
	if to, ok := booleanSwap[x.Op]; ok {
		c.add(x, x.Pos(), x.End(), plugin.OpBooleanSwap, c.swapToken(x.OpPos, x.Op, to))
	}
	if to, ok := arithmeticSwap[x.Op]; ok && !(x.Op == token.ADD && (isString(x.X) || isString(x.Y))) {
		c.add(x, x.Pos(), x.End(), plugin.OpArithmeticSwap, c.swapToken(x.OpPos, x.Op, to))
	}
}

func isString(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return x.Kind == token.STRING || x.Kind == token.CHAR
	case *ast.BinaryExpr:
		return isString(x.X) || isString(x.Y)
	case *ast.ParenExpr:
		return isString(x.X)
	}
	return false
}

func (c *collector) assignOp(x *ast.AssignStmt) {
	if to, ok := arithmeticSwap[x.Tok]; ok {
		c.add(x, x.Pos(), x.End(), plugin.OpArithmeticSwap, c.swapToken(x.TokPos, x.Tok, to))
	}
}

func (c *collector) incDec(x *ast.IncDecStmt) {
	c.add(x, x.Pos(), x.End(), plugin.OpArithmeticSwap, c.swapToken(x.TokPos, x.Tok, arithmeticSwap[x.Tok]))
}

func (c *collector) intLiteral(x *ast.BasicLit) {
	if x.Kind != token.INT {
		return
	}
	v, err := strconv.ParseInt(x.Value, 0, 64)
	if err != nil || v == 1<<63-1 || formatInt(v, x.Value) != x.Value {
		return // out of range, or written in a way the result could not keep (1_000, 0x0f, 0xFf)
	}
	shift := func(delta int64) func() (edit, error) {
		return func() (edit, error) {
			text := formatInt(v+delta, x.Value)
			return edit{start: c.off(x.Pos()), end: c.off(x.End()), text: text, desc: fmt.Sprintf("%s → %s", x.Value, text)}, nil
		}
	}
	c.add(x, x.Pos(), x.End(), plugin.OpConstantOffByOne, shift(1))
	if v >= 1 { // a literal never turns negative (a constant index -1 does not compile)
		c.add(x, x.Pos(), x.End(), plugin.OpConstantMinusOne, shift(-1))
	}
}

// formatInt writes v the way the literal like is written: its base prefix (0x, 0X with upper-case digits,
// 0o, 0b, or a leading 0 for legacy octal).
func formatInt(v int64, like string) string {
	if len(like) > 1 && like[0] == '0' {
		switch prefix := like[:2]; prefix {
		case "0x":
			return prefix + strconv.FormatInt(v, 16)
		case "0X":
			return prefix + strings.ToUpper(strconv.FormatInt(v, 16))
		case "0o", "0O":
			return prefix + strconv.FormatInt(v, 8)
		case "0b", "0B":
			return prefix + strconv.FormatInt(v, 2)
		default:
			return "0" + strconv.FormatInt(v, 8)
		}
	}
	return strconv.FormatInt(v, 10)
}

func (c *collector) negate(x *ast.IfStmt) {
	cond := x.Cond
	if inner, ok := c.negatedByUs(cond); ok {
		if _, twice := c.negatedByUs(inner); twice {
			return // "!(!(x))" → "!(x)" → "x": not its own inverse
		}
	}
	c.add(x, cond.Pos(), cond.End(), plugin.OpNegateCondition, func() (edit, error) {
		old := c.text(cond)
		text := "!(" + old + ")"
		// Only what negate itself writes is stripped: "!x" negated is "!(!x)", so that negating again gives
		// "!x" back byte for byte.
		if inner, ok := c.negatedByUs(cond); ok {
			text = c.text(inner)
		}
		return edit{start: c.off(cond.Pos()), end: c.off(cond.End()), text: text, desc: fmt.Sprintf("if %s → if %s", old, text)}, nil
	})
}

// negatedByUs reports whether e reads exactly "!(x)", as negate writes it, and returns x.
func (c *collector) negatedByUs(e ast.Expr) (ast.Expr, bool) {
	u, ok := e.(*ast.UnaryExpr)
	if !ok || u.Op != token.NOT {
		return nil, false
	}
	p, ok := u.X.(*ast.ParenExpr)
	if !ok || p.Lparen != u.OpPos+1 || c.text(p) != "("+c.text(p.X)+")" {
		return nil, false
	}
	return p.X, true
}

func (c *collector) swapArgs(x *ast.CallExpr) {
	if len(x.Args) < 2 || x.Ellipsis.IsValid() {
		return
	}
	a, b := x.Args[0], x.Args[1]
	if c.text(a) == c.text(b) || !swappable(x.Fun, a, b) {
		return
	}
	c.add(x, x.Pos(), x.End(), plugin.OpSwapArguments, func() (edit, error) {
		start, end := c.off(a.Pos()), c.off(b.End())
		mid := string(c.src[c.off(a.End()):c.off(b.Pos())])
		text := c.text(b) + mid + c.text(a)
		return edit{start: start, end: end, text: text, desc: fmt.Sprintf("%s(%s, %s) → (%s, %s)", c.text(x.Fun), c.text(a), c.text(b), c.text(b), c.text(a))}, nil
	})
}

// swappable guesses, without types, whether swapping a and b can still compile: not for builtins whose
// arguments have different roles (append, copy, delete, make, new), and not when one argument is a literal
// and the other is not a literal of the same kind (strings.Join(parts, "=")).
func swappable(fun, a, b ast.Expr) bool {
	if id, ok := fun.(*ast.Ident); ok {
		switch id.Name {
		case "append", "copy", "delete", "make", "new", "complex":
			return false
		}
	}
	la, aLit := a.(*ast.BasicLit)
	lb, bLit := b.(*ast.BasicLit)
	if aLit || bLit {
		return aLit && bLit && la.Kind == lb.Kind
	}
	_, aComp := a.(*ast.CompositeLit)
	_, bComp := b.(*ast.CompositeLit)
	_, aFunc := a.(*ast.FuncLit)
	_, bFunc := b.(*ast.FuncLit)
	return aComp == bComp && aFunc == bFunc
}

// statements offers remove_statement on the statements of one block whose removal keeps code compiling.
func (c *collector) statements(list []ast.Stmt) {
	fnBody := c.body[len(c.body)-1]
	for _, st := range list {
		switch x := st.(type) {
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				continue
			}
		case *ast.ReturnStmt:
			if len(fnBody.List) > 0 && fnBody.List[len(fnBody.List)-1] == st {
				continue // Go needs the final return of a function with results
			}
		case *ast.ExprStmt, *ast.IncDecStmt, *ast.DeferStmt, *ast.GoStmt, *ast.SendStmt, *ast.BranchStmt:
		default:
			continue
		}
		c.add(st, st.Pos(), st.End(), plugin.OpRemoveStatement, func() (edit, error) {
			start, end := c.off(st.Pos()), c.off(st.End())
			text := ""
			if ls, le, ok := ownLines(c.src, start, end); ok {
				start, end = ls, le
			}
			return edit{start: start, end: end, text: text, desc: "removed `" + firstLine(c.text(st)) + "`", prune: true}, nil
		})
	}
}

func (c *collector) defaultReturn(x *ast.ReturnStmt) {
	if len(x.Results) == 0 {
		return
	}
	ft := c.types[len(c.types)-1]
	zeros, ok := zeroValues(ft)
	if !ok {
		return
	}
	text := strings.Join(zeros, ", ")
	start, end := c.off(x.Results[0].Pos()), c.off(x.Results[len(x.Results)-1].End())
	if string(c.src[start:end]) == text {
		return
	}
	c.add(x, x.Pos(), x.End(), plugin.OpDefaultReturn, func() (edit, error) {
		return edit{start: start, end: end, text: text, desc: fmt.Sprintf("return %s → return %s", firstLine(string(c.src[start:end])), text)}, nil
	})
}

func (c *collector) removeBody(fd *ast.FuncDecl) {
	body := fd.Body
	zeros, ok := zeroValues(fd.Type)
	if !ok {
		return
	}
	var ret string
	switch {
	case len(zeros) == 0:
		ret = ""
	case fd.Type.Results.List[0].Names != nil:
		ret = "\treturn\n"
	default:
		ret = "\treturn " + strings.Join(zeros, ", ") + "\n"
	}
	text := "{\n" + ret + "}"
	if ret == "" {
		text = "{\n}"
	}
	if c.text(body) == text || len(body.List) == 0 {
		return
	}
	c.add(fd, body.Pos(), body.End(), plugin.OpRemoveBody, func() (edit, error) {
		return edit{start: c.off(body.Pos()), end: c.off(body.End()), text: text, desc: "removed the body of " + c.fn, prune: true}, nil
	})
}

// zeroValues gives one zero-value expression per result of ft.
func zeroValues(ft *ast.FuncType) ([]string, bool) {
	if ft.Results == nil {
		return nil, true
	}
	var out []string
	for _, f := range ft.Results.List {
		z := zeroValue(f.Type)
		n := max(len(f.Names), 1)
		for range n {
			out = append(out, z)
		}
	}
	return out, true
}

func zeroValue(t ast.Expr) string {
	switch x := t.(type) {
	case *ast.Ident:
		switch x.Name {
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr",
			"float32", "float64", "complex64", "complex128", "byte", "rune":
			return "0"
		case "string":
			return `""`
		case "bool":
			return "false"
		case "error", "any":
			return "nil"
		}
	case *ast.StarExpr, *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType:
		if a, ok := t.(*ast.ArrayType); ok && a.Len != nil {
			break // a fixed-size array is a value
		}
		return "nil"
	case *ast.ParenExpr:
		return zeroValue(x.X)
	}
	return "*new(" + exprString(t) + ")"
}

// ownLines widens [start, end) to whole lines when nothing else shares them.
func ownLines(src []byte, start, end int) (int, int, bool) {
	ls := start
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	if ls > 0 && src[ls-1] != '\n' {
		return start, end, false
	}
	le := end
	for le < len(src) && (src[le] == ' ' || src[le] == '\t' || src[le] == '\r') {
		le++
	}
	if le < len(src) && src[le] != '\n' {
		return start, end, false
	}
	if le < len(src) {
		le++
	}
	return ls, le, true
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
