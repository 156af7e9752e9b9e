package plugintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Result is the outcome of one check.
type Result struct {
	Name     string   // e.g. "describe", "mutations/calc.go"
	Failures []string // empty when the check passed
}

// Passed reports whether the check found nothing wrong.
func (r Result) Passed() bool { return len(r.Failures) == 0 }

// Check runs every check of the harness against lang with the fixture and returns one Result per check, in
// a stable order. tmp is a scratch directory (the fixture's Files are written there when it has no Dir).
func Check(ctx context.Context, lang plugin.Language, fx Fixture, tmp string) []Result {
	c := &checker{ctx: ctx, lang: lang, fx: fx, tmp: tmp}
	root, files, err := fx.materialise(tmp)
	if err != nil {
		return []Result{{Name: "fixture", Failures: []string{err.Error()}}}
	}
	c.root, c.files = root, files
	c.run("describe", c.describe)
	c.run("detect", c.detect)
	c.run("recipe", c.recipe)
	c.run("test_files", c.testFiles)
	c.run("test_command", c.testCommand)
	c.run("parse_test_output/empty", c.parseEmpty)
	c.run("test_command/ids", c.testCommandIDs)
	c.run("coverage", c.coverage)
	for _, o := range fx.Outputs {
		c.run("parse_test_output/"+o.Name, func() { c.parseOutput(o) })
	}
	c.run("mutation_sites/parse_error", c.sitesParseError)
	for _, f := range fx.SourceFiles {
		c.run("mutations/"+f, func() { c.mutations(f) })
	}
	for _, f := range fx.SourceFiles {
		c.run("reachable/"+f, func() { c.reachable(f) })
	}
	for _, f := range sortedKeys(fx.Tests) {
		c.run("remove_tests/"+f, func() { c.removeTests(f, fx.Tests[f]) })
	}
	return c.results
}

type checker struct {
	ctx     context.Context
	lang    plugin.Language
	fx      Fixture
	tmp     string
	root    string
	files   []string
	desc    plugin.DescribeResponse
	parser  string
	results []Result
	cur     *Result
}

func (c *checker) run(name string, f func()) {
	c.results = append(c.results, Result{Name: name})
	c.cur = &c.results[len(c.results)-1]
	f()
}

func (c *checker) failf(format string, args ...any) {
	c.cur.Failures = append(c.cur.Failures, fmt.Sprintf(format, args...))
}

func (c *checker) describe() {
	d, err := c.lang.Describe(c.ctx, &plugin.DescribeRequest{})
	if err != nil {
		c.failf("Describe: %v", err)
		return
	}
	c.desc = *d
	if d.Name == "" || strings.ContainsAny(d.Name, " \t\n/") {
		c.failf("Describe: name %q must be a non-empty word (the program is ssr-lang-NAME)", d.Name)
	}
	if len(d.Languages) == 0 {
		c.failf("Describe: no languages")
	}
	if len(d.Parsers) == 0 {
		c.failf("Describe: no parsers; TestCommand must name one")
	}
	seen := map[string]bool{}
	for _, op := range d.Operators {
		if !slices.Contains(plugin.AllOperators, op) {
			c.failf("Describe: operator %q is not one of plugin.AllOperators", op)
		}
		if seen[op] {
			c.failf("Describe: operator %q listed twice", op)
		}
		seen[op] = true
	}
}

func (c *checker) detect() {
	d, err := c.lang.Detect(c.ctx, &plugin.DetectRequest{Root: c.root, Files: c.files})
	switch {
	case len(c.files) == 0: // no sample repository: only the foreign ones below are checked
	case err != nil:
		c.failf("Detect on the fixture: %v", err)
	default:
		if d.Confidence < 0.5 || d.Confidence > 1 {
			c.failf("Detect on the fixture: confidence %.2f, want in [0.5, 1]", d.Confidence)
		}
		if d.Reason == "" {
			c.failf("Detect on the fixture: no reason given")
		}
	}
	foreign := map[string]map[string]string{"empty repository": {}, "README-only repository": {"README.md": "# notes\n"}}
	if c.fx.Foreign != nil {
		foreign["the fixture's foreign repository"] = c.fx.Foreign
	}
	for _, name := range sortedKeys(foreign) {
		files := foreign[name]
		root := filepath.Join(c.tmp, "foreign-"+strings.ReplaceAll(name, " ", "-"))
		if err := writeFiles(root, files); err != nil {
			c.failf("write %s: %v", name, err)
			continue
		}
		d, err := c.lang.Detect(c.ctx, &plugin.DetectRequest{Root: root, Files: sortedKeys(files)})
		if err != nil {
			c.failf("Detect on an %s: %v", name, err)
		} else if d.Confidence >= 0.5 || d.Confidence < 0 {
			c.failf("Detect on an %s: confidence %.2f, want in [0, 0.5)", name, d.Confidence)
		}
	}
}

func (c *checker) recipe() {
	r, err := c.lang.Recipe(c.ctx, &plugin.RecipeRequest{Root: c.root, Files: c.files})
	if err != nil {
		c.failf("Recipe: %v", err)
		return
	}
	for _, p := range r.Packages {
		if p == "" || strings.ContainsAny(p, " \t\n;&|") {
			c.failf("Recipe: package %q is not a single Debian package name", p)
		}
	}
	for k := range r.Env {
		if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(k) {
			c.failf("Recipe: environment variable name %q is not valid", k)
		}
	}
}

func (c *checker) testFiles() {
	r, err := c.lang.TestFiles(c.ctx, &plugin.TestFilesRequest{Files: c.files})
	if err != nil {
		c.failf("TestFiles: %v", err)
		return
	}
	seen := map[string]bool{}
	for _, f := range r.TestFiles {
		if !slices.Contains(c.files, f) {
			c.failf("TestFiles: %q is not one of the repository's files", f)
		}
		if seen[f] {
			c.failf("TestFiles: %q listed twice", f)
		}
		seen[f] = true
	}
	for _, f := range sortedKeys(c.fx.Tests) {
		if !seen[f] {
			c.failf("TestFiles: the fixture's test file %q is missing", f)
		}
	}
	for _, f := range c.fx.SourceFiles {
		if seen[f] {
			c.failf("TestFiles: the fixture's source file %q is listed as a test file", f)
		}
	}
	srcs := map[string]bool{}
	for _, f := range r.Sources {
		switch {
		case !slices.Contains(c.files, f):
			c.failf("TestFiles: source %q is not one of the repository's files", f)
		case seen[f]:
			c.failf("TestFiles: %q is listed both as a test file and as a source", f)
		case srcs[f]:
			c.failf("TestFiles: source %q listed twice", f)
		}
		srcs[f] = true
	}
	if r.Sources != nil {
		for _, f := range c.fx.SourceFiles {
			if !srcs[f] {
				c.failf("TestFiles: the fixture's source file %q is missing from Sources", f)
			}
		}
	}
	for _, w := range r.Warnings {
		if strings.TrimSpace(w) == "" || strings.ContainsAny(w, "\n\r") {
			c.failf("TestFiles: warning %q is not one non-empty line", w)
		}
	}
}

func (c *checker) testCommand() {
	reqs := []*plugin.TestCommandRequest{{}}
	if ks := sortedKeys(c.fx.Tests); len(ks) > 0 {
		reqs = append(reqs, &plugin.TestCommandRequest{TestFiles: ks[:1]})
	}
	for _, req := range reqs {
		what := "all tests"
		if len(req.TestFiles) > 0 {
			what = "tests in " + strings.Join(req.TestFiles, ", ")
		}
		r, err := c.lang.TestCommand(c.ctx, req)
		if err != nil {
			c.failf("TestCommand (%s): %v", what, err)
			continue
		}
		if strings.TrimSpace(r.Script) == "" {
			c.failf("TestCommand (%s): empty script", what)
		}
		if !slices.Contains(c.desc.Parsers, r.Parser) {
			c.failf("TestCommand (%s): parser %q is not among Describe's parsers %v", what, r.Parser, c.desc.Parsers)
		}
		if c.parser == "" {
			c.parser = r.Parser
		}
	}
}

// testCommandIDs: a plugin that selects tests by id gives a script for them with its parser; one that does
// not may ignore them (and says so with SelectsIDs false).
func (c *checker) testCommandIDs() {
	var ids []string
	for _, f := range sortedKeys(c.fx.Tests) {
		ids = append(ids, c.fx.Tests[f]...)
	}
	if len(ids) == 0 {
		return
	}
	r, err := c.lang.TestCommand(c.ctx, &plugin.TestCommandRequest{TestIDs: ids[:1]})
	if errors.Is(err, plugin.ErrUnimplemented) {
		return
	}
	if err != nil {
		c.failf("TestCommand (test id %s): %v", ids[0], err)
		return
	}
	if strings.TrimSpace(r.Script) == "" || !slices.Contains(c.desc.Parsers, r.Parser) {
		c.failf("TestCommand (test id %s): script of %d bytes, parser %q (want a script and one of %v)", ids[0], len(r.Script), r.Parser, c.desc.Parsers)
	}
}

// coverage: coverage is optional, but a plugin that offers it gives a script and a parser name for the
// fixture's repository (or one line on why not), and its parser answers an empty output with Error, an
// expected outcome, rather than failing the call or reporting tests.
func (c *checker) coverage() {
	r, err := c.lang.CoverageCommand(c.ctx, &plugin.CoverageCommandRequest{Files: c.files})
	if errors.Is(err, plugin.ErrUnimplemented) {
		return
	}
	if err != nil {
		c.failf("CoverageCommand: %v", err)
		return
	}
	switch {
	case r.Unsupported != "":
		if strings.ContainsAny(r.Unsupported, "\n\r") || r.Script != "" {
			c.failf("CoverageCommand: Unsupported %q must be one line, with no script", r.Unsupported)
		}
		return
	case strings.TrimSpace(r.Script) == "" || r.Parser == "":
		c.failf("CoverageCommand: script of %d bytes and parser %q: give both, or Unsupported", len(r.Script), r.Parser)
		return
	}
	p, err := c.lang.ParseCoverage(c.ctx, &plugin.ParseCoverageRequest{Parser: r.Parser})
	if err != nil {
		c.failf("ParseCoverage on empty output: %v (an empty output is an expected outcome: answer with Error)", err)
		return
	}
	if p.Error == "" || len(p.Tests) > 0 {
		c.failf("ParseCoverage on empty output: %d tests, Error %q (want no tests and an Error)", len(p.Tests), p.Error)
	}
}

func (c *checker) parserFor(o Output) string {
	switch {
	case o.Parser != "":
		return o.Parser
	case c.parser != "":
		return c.parser
	case len(c.desc.Parsers) > 0:
		return c.desc.Parsers[0]
	}
	return ""
}

func (c *checker) parseEmpty() {
	r, err := c.lang.ParseTestOutput(c.ctx, &plugin.ParseTestOutputRequest{Parser: c.parserFor(Output{}), Output: nil})
	if err != nil {
		c.failf("ParseTestOutput on empty output: %v (an empty output is an expected outcome: answer no tests)", err)
		return
	}
	if len(r.Tests) > 0 {
		c.failf("ParseTestOutput on empty output reported %d tests, e.g. %q", len(r.Tests), r.Tests[0].ID)
	}
}

// noise matches ids that are progress or summary lines, not tests.
var noise = regexp.MustCompile(`(?i)^(\s*|[\s.%\[\]0-9:=_-]+|(ok|pass|passed|fail|failed|skip|skipped|error|errors|fatal|panic)\b.*|(===|---|\.\.\.).*)$`)

func (c *checker) parseOutput(o Output) {
	r, err := c.lang.ParseTestOutput(c.ctx, &plugin.ParseTestOutputRequest{Parser: c.parserFor(o), Output: o.Output})
	if err != nil {
		c.failf("ParseTestOutput: %v", err)
		return
	}
	got := map[string]string{}
	statuses := []string{plugin.StatusPassed, plugin.StatusFailed, plugin.StatusSkipped, plugin.StatusError, plugin.StatusNotRun}
	ends := []string{plugin.RunCompleted, plugin.RunBuildFailed, plugin.RunCrashed, plugin.RunTimedOut}
	if r.End != "" && !slices.Contains(ends, r.End) {
		c.failf("ParseTestOutput: End %q, want empty (cannot tell) or one of %v", r.End, ends)
	}
	if o.End != "" && r.End != o.End {
		c.failf("ParseTestOutput: End %q, want %q", r.End, o.End)
	}
	if strings.ContainsAny(r.Detail, "\n\r") {
		c.failf("ParseTestOutput: Detail %q is more than one line", r.Detail)
	}
	broken := map[string]bool{}
	for _, b := range r.Broken {
		if b == "" || broken[b] {
			c.failf("ParseTestOutput: Broken %q has an empty or repeated entry %q", r.Broken, b)
		}
		broken[b] = true
	}
	for _, t := range r.Tests {
		if _, dup := got[t.ID]; dup {
			c.failf("ParseTestOutput: test %q reported twice", t.ID)
		}
		got[t.ID] = t.Status
		if !slices.Contains(statuses, t.Status) {
			c.failf("ParseTestOutput: test %q has status %q, want one of %v", t.ID, t.Status, statuses)
		}
		if noise.MatchString(t.ID) || strings.ContainsAny(t.ID, "\n\r") {
			c.failf("ParseTestOutput: id %q looks like progress or summary output, not a test", t.ID)
		}
		if t.Duration < 0 {
			c.failf("ParseTestOutput: test %q has negative duration %v", t.ID, t.Duration)
		}
	}
	for _, id := range sortedKeys(o.Want) {
		if st, ok := got[id]; !ok {
			c.failf("ParseTestOutput: test %q missing (want %s)", id, o.Want[id])
		} else if st != o.Want[id] {
			c.failf("ParseTestOutput: test %q is %s, want %s", id, st, o.Want[id])
		}
	}
	if o.Exact {
		for _, id := range sortedKeys(got) {
			if _, ok := o.Want[id]; !ok {
				c.failf("ParseTestOutput: unexpected test %q (%s)", id, got[id])
			}
		}
	}
}

func (c *checker) sitesParseError() {
	r, err := c.lang.MutationSites(c.ctx, &plugin.MutationSitesRequest{Path: "broken", Source: []byte("(((\n")})
	if err != nil {
		c.failf("MutationSites on a file that does not parse: %v (that is an expected outcome: answer ParseError)", err)
		return
	}
	if r.ParseError == "" || len(r.Sites) > 0 {
		c.failf("MutationSites on a file that does not parse: ParseError %q with %d sites, want a ParseError and no sites", r.ParseError, len(r.Sites))
	}
}

func (c *checker) parses(path string, src []byte) string {
	r, err := c.lang.MutationSites(c.ctx, &plugin.MutationSitesRequest{Path: path, Source: src})
	if err != nil {
		return err.Error()
	}
	return r.ParseError
}

func (c *checker) mutations(path string) {
	src, err := c.fx.read(c.root, path)
	if err != nil {
		c.failf("read %s: %v", path, err)
		return
	}
	r, err := c.lang.MutationSites(c.ctx, &plugin.MutationSitesRequest{Path: path, Source: src})
	if err != nil {
		c.failf("MutationSites: %v", err)
		return
	}
	if r.ParseError != "" {
		c.failf("MutationSites: the fixture's source does not parse: %s", r.ParseError)
		return
	}
	if len(r.Sites) == 0 {
		c.failf("MutationSites: no sites in a fixture source file")
	}
	applied, refused := 0, 0
	for _, s := range r.Sites {
		at := fmt.Sprintf("site %s at %d:%d", s.Node, s.Line, s.Column)
		if s.StartByte < 0 || s.EndByte > len(src) || s.StartByte > s.EndByte {
			c.failf("%s: byte range [%d, %d) outside the file (%d bytes)", at, s.StartByte, s.EndByte, len(src))
			continue
		}
		if line, col := position(src, s.StartByte); line != s.Line || col != s.Column {
			c.failf("%s: StartByte %d is at %d:%d", at, s.StartByte, line, col)
		}
		if len(s.Operators) == 0 {
			c.failf("%s: no operators", at)
		}
		for _, op := range s.Operators {
			if !slices.Contains(c.desc.Operators, op) {
				c.failf("%s: operator %q is not among Describe's operators", at, op)
				continue
			}
			a, err := c.lang.ApplyMutation(c.ctx, &plugin.ApplyMutationRequest{Path: path, Source: src, Site: s, Operator: op})
			if err != nil {
				c.failf("%s: ApplyMutation %s: %v", at, op, err)
				continue
			}
			if a.Refused != "" {
				refused++
				if len(a.Source) > 0 {
					c.failf("%s: ApplyMutation %s refused (%s) but returned a source", at, op, a.Refused)
				}
				continue
			}
			applied++
			if bytes.Equal(a.Source, src) {
				c.failf("%s: ApplyMutation %s returned the file unchanged", at, op)
				continue
			}
			if pe := c.parses(path, a.Source); pe != "" {
				c.failf("%s: ApplyMutation %s gives a file that does not parse: %s", at, op, pe)
			}
		}
	}
	if len(r.Sites) > 0 && applied == 0 {
		c.failf("ApplyMutation refused all %d site × operator pairs", refused)
	}
	if len(c.desc.Operators) > 0 {
		op := c.desc.Operators[0]
		f, err := c.lang.MutationSites(c.ctx, &plugin.MutationSitesRequest{Path: path, Source: src, Operators: []string{op}})
		if err != nil {
			c.failf("MutationSites filtered to %s: %v", op, err)
			return
		}
		for _, s := range f.Sites {
			if !slices.Equal(s.Operators, []string{op}) {
				c.failf("MutationSites filtered to %s: site at %d:%d offers %v", op, s.Line, s.Column, s.Operators)
				break
			}
		}
	}
}

// reachable checks that the structured solver can undo every invertible mutation of the file (Reachable).
func (c *checker) reachable(path string) {
	src, err := c.fx.read(c.root, path)
	if err != nil {
		c.failf("read %s: %v", path, err)
		return
	}
	r, err := Reachable(c.ctx, c.lang, path, src)
	if err != nil {
		c.failf("%v", err)
		return
	}
	for _, f := range r.Failures {
		c.failf("%s", f)
	}
}

// position gives the 1-based line and byte column of offset in src.
func position(src []byte, offset int) (line, col int) {
	line = 1 + bytes.Count(src[:offset], []byte("\n"))
	col = offset - (bytes.LastIndexByte(src[:offset], '\n') + 1) + 1
	return line, col
}

func (c *checker) removeTests(path string, ids []string) {
	if len(ids) == 0 {
		c.failf("the fixture lists no tests for %s", path)
		return
	}
	src, err := c.fx.read(c.root, path)
	if err != nil {
		c.failf("read %s: %v", path, err)
		return
	}
	first, rest := ids[0], ids[1:]
	r, err := c.lang.RemoveTests(c.ctx, &plugin.RemoveTestsRequest{Path: path, Source: src, Tests: []string{first, "no::such_test_xyz"}})
	if err != nil {
		c.failf("RemoveTests %s: %v", first, err)
		return
	}
	if !slices.Equal(r.Removed, []string{first}) {
		c.failf("RemoveTests %s: Removed = %q, want [%q]", first, r.Removed, first)
	}
	if !slices.Equal(r.NotFound, []string{"no::such_test_xyz"}) {
		c.failf("RemoveTests: NotFound = %q, want the made-up id", r.NotFound)
	}
	if len(r.Unremovable) > 0 {
		c.failf("RemoveTests %s: Unremovable = %q, want none (the fixture's test is removable, the made-up id is not defined)", first, r.Unremovable)
	}
	if bytes.Equal(r.Source, src) {
		c.failf("RemoveTests %s: file unchanged", first)
		return
	}
	if pe := c.parses(path, r.Source); pe != "" {
		c.failf("RemoveTests %s: the result does not parse: %s", first, pe)
	}
	again, err := c.lang.RemoveTests(c.ctx, &plugin.RemoveTestsRequest{Path: path, Source: r.Source, Tests: ids})
	if err != nil {
		c.failf("RemoveTests on the result: %v", err)
		return
	}
	if !slices.Equal(again.NotFound, []string{first}) {
		c.failf("RemoveTests on the result: NotFound = %q, want [%q] (it was removed)", again.NotFound, first)
	}
	if !slices.Equal(again.Removed, rest) {
		c.failf("RemoveTests on the result: Removed = %q, want the other tests %q still present", again.Removed, rest)
	}
	for id, why := range again.Unremovable {
		if why == "" || !slices.Contains(ids, id) || slices.Contains(again.Removed, id) || slices.Contains(again.NotFound, id) {
			c.failf("RemoveTests on the result: Unremovable[%q] = %q, want only requested ids, in no other list, with a reason", id, why)
		}
	}
}

// mkTemp makes a scratch directory for Check outside tests.
func mkTemp() (string, func(), error) {
	d, err := os.MkdirTemp("", "ssr-plugintest-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}
