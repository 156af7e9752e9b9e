package main

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Operator tables. Each maps an operator token (a tree-sitter node kind) to its replacement. Every table is
// an involution (the replacement maps back to the token), so the same operator at the same site undoes
// itself: tokens with no partner ("**", "@", "^", Python 2's "<>") are left alone.
var (
	comparisonFlips = map[string]string{
		"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "==",
		"in": "not in", "not in": "in", "is": "is not", "is not": "is",
	}
	boundaryShifts  = map[string]string{"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
	booleanSwaps    = map[string]string{"and": "or", "or": "and"}
	arithmeticSwaps = map[string]string{
		"+": "-", "-": "+", "*": "/", "/": "*", "//": "%", "%": "//", "<<": ">>", ">>": "<<", "&": "|", "|": "&",
		"+=": "-=", "-=": "+=", "*=": "/=", "/=": "*=", "//=": "%=", "%=": "//=", "<<=": ">>=", ">>=": "<<=",
		"&=": "|=", "|=": "&=",
	}
	// removableStatements are the statements remove_statement replaces by "pass". Imports, definitions,
	// docstrings and statements that already do nothing are left alone.
	removableStatements = map[string]bool{
		"expression_statement": true, "return_statement": true, "raise_statement": true,
		"assert_statement": true, "delete_statement": true, "if_statement": true, "for_statement": true,
		"while_statement": true, "with_statement": true, "try_statement": true, "match_statement": true,
		"break_statement": true, "continue_statement": true, "global_statement": true,
		"nonlocal_statement": true,
	}
	conditionNodes = map[string]bool{"if_statement": true, "elif_clause": true, "while_statement": true}
)

// edit replaces src[start:end] by text.
type edit struct {
	start, end int
	text       string
}

// mutation is one operator applicable at one node.
type mutation struct {
	node     *sitter.Node
	op       string
	function string
	edits    []edit
	desc     string
}

// MutationSites lists every node where an operator applies, in source order (an enclosing node before the
// nodes inside it), each with the operators that apply there. A file that does not parse gives ParseError.
//
// Function is the enclosing function's qualified name ("Class.method", "outer.inner"); for remove_body,
// whose site is the function_definition itself, it is that function's own qualified name.
func (*python) MutationSites(ctx context.Context, req *plugin.MutationSitesRequest) (*plugin.MutationSitesResponse, error) {
	tree, err := parseCached(req.Source)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	root := tree.RootNode()
	if msg := syntaxError(root, req.Source); msg != "" {
		return &plugin.MutationSitesResponse{Sites: []plugin.MutationSite{}, ParseError: fmt.Sprintf("%s: %s", req.Path, msg)}, nil
	}
	want := map[string]bool{}
	for _, op := range req.Operators {
		want[op] = true
	}
	type key struct {
		start, end uint
		kind       string
	}
	index := map[key]int{}
	sites := []plugin.MutationSite{}
	for _, m := range collectMutations(root, req.Source) {
		if len(want) > 0 && !want[m.op] {
			continue
		}
		k := key{m.node.StartByte(), m.node.EndByte(), m.node.Kind()}
		i, ok := index[k]
		if !ok {
			pos := m.node.StartPosition()
			i = len(sites)
			index[k] = i
			sites = append(sites, plugin.MutationSite{
				StartByte: int(k.start), EndByte: int(k.end), Line: int(pos.Row) + 1, Column: int(pos.Column) + 1,
				Node: k.kind, Function: m.function,
			})
		}
		sites[i].Operators = append(sites[i].Operators, m.op)
	}
	order := map[string]int{}
	for i, op := range plugin.AllOperators {
		order[op] = i
	}
	for i := range sites {
		sort.Slice(sites[i].Operators, func(a, b int) bool {
			return order[sites[i].Operators[a]] < order[sites[i].Operators[b]]
		})
	}
	sort.SliceStable(sites, func(a, b int) bool {
		if sites[a].StartByte != sites[b].StartByte {
			return sites[a].StartByte < sites[b].StartByte
		}
		return sites[a].EndByte > sites[b].EndByte
	})
	return &plugin.MutationSitesResponse{Sites: sites}, nil
}

// ApplyMutation applies one operator at one site by splicing byte ranges, so everything outside the site
// stays byte-identical. It refuses (Refused set, no Source) when the source does not parse, when the site
// and operator are not among those MutationSites gives for this source, or when the result would not parse.
func (*python) ApplyMutation(ctx context.Context, req *plugin.ApplyMutationRequest) (*plugin.ApplyMutationResponse, error) {
	tree, err := parseCached(req.Source)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	root := tree.RootNode()
	if msg := syntaxError(root, req.Source); msg != "" {
		return &plugin.ApplyMutationResponse{Refused: fmt.Sprintf("%s does not parse (%s): fix the file before mutating it", req.Path, msg)}, nil
	}
	for _, m := range mutationsAt(root, req.Source, req.Site) {
		if m.op != req.Operator {
			continue
		}
		out, err := applyAndCheck(tree, req.Source, m.edits)
		if err != nil {
			return &plugin.ApplyMutationResponse{Refused: fmt.Sprintf("%s at %s:%d would not parse (%v)", m.op, req.Path, req.Site.Line, err)}, nil
		}
		return &plugin.ApplyMutationResponse{Source: out, Description: fmt.Sprintf("line %d: %s", m.node.StartPosition().Row+1, m.desc)}, nil
	}
	return &plugin.ApplyMutationResponse{Refused: fmt.Sprintf("%s does not apply at bytes %d-%d (%s) of %s: list the sites of this exact source again",
		req.Operator, req.Site.StartByte, req.Site.EndByte, req.Site.Node, req.Path)}, nil
}

// applyEdits splices non-overlapping edits into a copy of src.
func applyEdits(src []byte, edits []edit) []byte {
	sorted := append([]edit(nil), edits...)
	// At the same start, an insertion goes before a replacement (RemoveTests may insert where a removal starts).
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].start != sorted[j].start {
			return sorted[i].start < sorted[j].start
		}
		return sorted[i].end == sorted[i].start && sorted[j].end != sorted[j].start
	})
	var out []byte
	at := 0
	for _, e := range sorted {
		out = append(out, src[at:e.start]...)
		out = append(out, e.text...)
		at = e.end
	}
	return append(out, src[at:]...)
}

// collectMutations walks the tree and returns every applicable (node, operator) pair with its edits.
func collectMutations(root *sitter.Node, src []byte) []mutation {
	c := &collector{src: src}
	c.visit(root)
	return c.out
}

// mutationsAt returns the mutations of the nodes that span exactly the site's byte range (and are of its
// kind, when the site names one), without walking the whole tree.
func mutationsAt(root *sitter.Node, src []byte, site plugin.MutationSite) []mutation {
	if site.StartByte < 0 || site.EndByte < site.StartByte || site.EndByte > len(src) {
		return nil
	}
	start, end := uint(site.StartByte), uint(site.EndByte)
	c := &collector{src: src}
	for n := root.DescendantForByteRange(start, end); n != nil; n = n.Parent() {
		if n.StartByte() != start || n.EndByte() != end {
			if n.StartByte() < start || n.EndByte() > end {
				break
			}
			continue
		}
		if site.Node == "" || site.Node == n.Kind() {
			c.mutations(n)
		}
	}
	return c.out
}

type scope struct {
	name       string
	isFunction bool
}

type collector struct {
	src    []byte
	scopes []scope
	out    []mutation
}

// function is the qualified name of the innermost enclosing function ("" outside any function).
func (c *collector) function() string {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		if c.scopes[i].isFunction {
			names := make([]string, i+1)
			for j := range names {
				names[j] = c.scopes[j].name
			}
			return strings.Join(names, ".")
		}
	}
	return ""
}

func (c *collector) add(n *sitter.Node, op string, desc string, edits ...edit) {
	for i := range edits {
		e := separate(c.src, edits[i])
		if e != edits[i] && slices.Contains(plugin.InvertibleOperators, op) {
			return // undoing it would not know to take the blank away again ("00or 0" → "00 and 0")
		}
		edits[i] = e
	}
	c.out = append(c.out, mutation{node: n, op: op, function: c.function(), edits: edits, desc: desc})
}

// separate adds a blank where a replacement would glue onto a neighbouring word: "return(x)" must become
// "return None", not "returnNone".
func separate(src []byte, e edit) edit {
	if e.text == "" {
		return e
	}
	if e.start > 0 && isWordByte(src[e.start-1]) && isWordByte(e.text[0]) {
		e.text = " " + e.text
	}
	if e.end < len(src) && isWordByte(src[e.end]) && isWordByte(e.text[len(e.text)-1]) {
		e.text += " "
	}
	return e
}

// isWordByte reports bytes that can continue a Python name or number (any non-ASCII byte may be part of a
// name).
func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

func (c *collector) replace(n *sitter.Node, text string) edit {
	return edit{int(n.StartByte()), int(n.EndByte()), text}
}

func (c *collector) visit(n *sitter.Node) {
	c.mutations(n)
	pushed := false
	if k := n.Kind(); k == "function_definition" || k == "class_definition" {
		c.scopes = append(c.scopes, scope{definitionName(n, c.src), k == "function_definition"})
		pushed = true
	}
	for i := uint(0); i < n.ChildCount(); i++ {
		c.visit(n.Child(i))
	}
	if pushed {
		c.scopes = c.scopes[:len(c.scopes)-1]
	}
}

// mutations adds the operators that apply at n itself.
func (c *collector) mutations(n *sitter.Node) {
	src := c.src
	kind := n.Kind()
	switch kind {
	case "comparison_operator":
		// In a chain (a < b <= c) only the first comparison flips: one small change per site.
		for i := uint(0); i < n.ChildCount(); i++ {
			if n.FieldNameForChild(uint32(i)) != "operators" {
				continue
			}
			op := n.Child(i)
			if text(op, src) != op.Kind() {
				break // "not  in" with two blanks would come back as "not in"
			}
			if to, ok := comparisonFlips[op.Kind()]; ok {
				c.add(n, plugin.OpComparisonFlip, fmt.Sprintf("'%s' → '%s'", op.Kind(), to), c.replace(op, to))
			}
			if to, ok := boundaryShifts[op.Kind()]; ok {
				c.add(n, plugin.OpBoundaryShift, fmt.Sprintf("'%s' → '%s'", op.Kind(), to), c.replace(op, to))
			}
			break
		}
	case "boolean_operator", "binary_operator", "augmented_assignment":
		op := n.ChildByFieldName("operator")
		if op == nil {
			return
		}
		table, name := arithmeticSwaps, plugin.OpArithmeticSwap
		if kind == "boolean_operator" {
			table, name = booleanSwaps, plugin.OpBooleanSwap
		}
		if to, ok := table[op.Kind()]; ok {
			c.add(n, name, fmt.Sprintf("'%s' → '%s'", op.Kind(), to), c.replace(op, to))
		}
	case "integer":
		if to, ok := offByOne(text(n, src), 1); ok {
			c.add(n, plugin.OpConstantOffByOne, fmt.Sprintf("%s → %s", text(n, src), to), c.replace(n, to))
		}
		if to, ok := offByOne(text(n, src), -1); ok {
			c.add(n, plugin.OpConstantMinusOne, fmt.Sprintf("%s → %s", text(n, src), to), c.replace(n, to))
		}
	case "call":
		c.swapArguments(n)
	case "function_definition":
		c.removeBody(n)
	}
	if conditionNodes[kind] {
		if cond := n.ChildByFieldName("condition"); cond != nil {
			if e, ok := c.negate(cond); ok {
				c.add(n, plugin.OpNegateCondition, fmt.Sprintf("condition '%s' negated", snippet(src, cond)), e)
			}
		}
	}
	if kind == "return_statement" {
		if vals := namedChildren(n); len(vals) > 0 {
			first, last := vals[0], vals[len(vals)-1]
			if !(len(vals) == 1 && first.Kind() == "none") {
				c.add(n, plugin.OpDefaultReturn, fmt.Sprintf("'%s' → 'return None'", snippet(src, n)),
					edit{int(first.StartByte()), int(last.EndByte()), "None"})
			}
		}
	}
	if removableStatements[kind] && !isDocstring(n) && !isEllipsisStatement(n) {
		c.add(n, plugin.OpRemoveStatement, fmt.Sprintf("statement '%s' replaced by 'pass'", snippet(src, n)), c.replace(n, "pass"))
	}
}

// negate is negate_condition's edit, its own inverse byte for byte: inside any parentheses around the
// condition ("while(c):" → "while(not (c)):", so that no blank is added that the inverse would have to
// guess), c becomes "not (c)", and a condition written exactly "not (c)" becomes c. It does not apply where
// negating twice would not give the condition back: a condition glued to its keyword ("if-x:" would need a
// blank), or one written "not (not (c))" or "not ((c))".
func (c *collector) negate(cond *sitter.Node) (edit, bool) {
	for cond.Kind() == "parenthesized_expression" {
		inner := namedChildren(cond)
		if len(inner) != 1 || cond.NamedChildCount() != 1 {
			break // a comment inside the parentheses: negate the whole
		}
		cond = inner[0]
	}
	if start := cond.StartByte(); start > 0 && isWordByte(c.src[start-1]) {
		return edit{}, false
	}
	if arg, ok := negatedByUs(cond, c.src); ok {
		inner := namedChildren(arg)
		if len(inner) == 1 {
			if _, twice := negatedByUs(inner[0], c.src); twice || inner[0].Kind() == "parenthesized_expression" {
				return edit{}, false // negating the result would give "not (c)" or look inside "(c)"
			}
		}
		return edit{int(cond.StartByte()), int(cond.EndByte()), string(c.src[arg.StartByte()+1 : arg.EndByte()-1])}, true
	}
	return c.replace(cond, "not ("+text(cond, c.src)+")"), true
}

// negatedByUs reports whether n reads exactly "not (x)", as negate writes it, and returns the parentheses.
func negatedByUs(n *sitter.Node, src []byte) (*sitter.Node, bool) {
	if n.Kind() != "not_operator" {
		return nil, false
	}
	arg := n.ChildByFieldName("argument")
	if arg == nil || arg.Kind() != "parenthesized_expression" || arg.EndByte() != n.EndByte() ||
		arg.StartByte() != n.StartByte()+4 || string(src[n.StartByte():arg.StartByte()+1]) != "not (" {
		return nil, false
	}
	if inner := namedChildren(arg); len(inner) != 1 || inner[0].StartByte() != arg.StartByte()+1 || inner[0].EndByte() != arg.EndByte()-1 {
		return nil, false // "not ( c )" is not what negate writes
	}
	return arg, true
}

// offByOne adds delta to a Python integer literal, keeping its base and the case of its prefix ("0x1f" →
// "0x20", "0X1F" → "0X20"). It applies only to literals written the way it writes them (no underscores, no
// leading zeros, hex digits in the prefix's case), so that the opposite delta gives the literal back byte for
// byte; long (Python 2) and imaginary literals are left alone, and n-1 needs n ≥ 1.
func offByOne(lit string, delta int64) (string, bool) {
	if strings.ContainsAny(lit[len(lit)-1:], "lLjJ") {
		return "", false
	}
	v, ok := new(big.Int).SetString(lit, 0)
	if !ok || (delta < 0 && v.Sign() <= 0) {
		return "", false // n-1 only for n ≥ 1: a literal never turns negative
	}
	if formatInt(v, lit) != lit {
		return "", false
	}
	return formatInt(v.Add(v, big.NewInt(delta)), lit), true
}

// formatInt writes v the way like is written: its base prefix, and upper-case hex digits after "0X".
func formatInt(v *big.Int, like string) string {
	if len(like) > 1 && like[0] == '0' {
		prefix := like[:2]
		switch prefix {
		case "0x":
			return prefix + v.Text(16)
		case "0X":
			return prefix + strings.ToUpper(v.Text(16))
		case "0o", "0O":
			return prefix + v.Text(8)
		case "0b", "0B":
			return prefix + v.Text(2)
		}
	}
	return v.Text(10)
}

// swapArguments swaps the first two arguments of a call when both are positional and their texts differ:
// always the first two, so that the same operator on the result swaps them back.
func (c *collector) swapArguments(call *sitter.Node) {
	args := call.ChildByFieldName("arguments")
	if args == nil || args.Kind() != "argument_list" {
		return // f(x for x in y) has a generator_expression as its arguments
	}
	list := namedChildren(args)
	positional := func(n *sitter.Node) bool {
		switch n.Kind() {
		case "keyword_argument", "list_splat", "dictionary_splat", "parenthesized_list_splat":
			return false
		}
		return true
	}
	if len(list) < 2 || !positional(list[0]) || !positional(list[1]) {
		return
	}
	a, b := list[0], list[1]
	ta, tb := text(a, c.src), text(b, c.src)
	if ta == tb {
		return
	}
	c.add(call, plugin.OpSwapArguments, fmt.Sprintf("arguments '%s' and '%s' swapped", snippet(c.src, a), snippet(c.src, b)),
		c.replace(a, tb), c.replace(b, ta))
}

// removeBody replaces a function's statements, after its docstring if any, by "pass".
func (c *collector) removeBody(fn *sitter.Node) {
	body := fn.ChildByFieldName("body")
	if body == nil {
		return
	}
	stmts := namedChildren(body)
	if len(stmts) > 0 && isDocstring(stmts[0]) {
		stmts = stmts[1:]
	}
	if len(stmts) == 0 || len(stmts) == 1 && (stmts[0].Kind() == "pass_statement" || isEllipsisStatement(stmts[0])) {
		return
	}
	name := definitionName(fn, c.src)
	c.scopes = append(c.scopes, scope{name, true})
	c.add(fn, plugin.OpRemoveBody, fmt.Sprintf("body of %s() replaced by 'pass'", name),
		edit{int(stmts[0].StartByte()), int(stmts[len(stmts)-1].EndByte()), "pass"})
	c.scopes = c.scopes[:len(c.scopes)-1]
}
