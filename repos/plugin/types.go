package plugin

import "context"

// Language is what a language plugin implements: everything ssr needs to know about one language or test
// framework. Every call takes a request and returns a response; an expected outcome (a file that does not
// parse, no sites found, a test that is not there) goes in the response, and error is kept for transport or
// internal failure.
type Language interface {
	// Describe names the plugin and what it offers.
	Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error)
	// Detect says how much a repository looks like one this plugin handles.
	Detect(ctx context.Context, req *DetectRequest) (*DetectResponse, error)
	// Recipe says what a repository's image needs: Debian packages, setup steps, environment.
	Recipe(ctx context.Context, req *RecipeRequest) (*RecipeResponse, error)
	// TestFiles picks the test files out of a repository's files.
	TestFiles(ctx context.Context, req *TestFilesRequest) (*TestFilesResponse, error)
	// TestCommand gives the script that runs all tests, or only those in the given files, and the builtin
	// parser that reads its output.
	TestCommand(ctx context.Context, req *TestCommandRequest) (*TestCommandResponse, error)
	// ParseTestOutput turns a test run's output into per-test results.
	ParseTestOutput(ctx context.Context, req *ParseTestOutputRequest) (*ParseTestOutputResponse, error)
	// MutationSites lists the places in one source file where a mutation operator applies.
	MutationSites(ctx context.Context, req *MutationSitesRequest) (*MutationSitesResponse, error)
	// ApplyMutation applies one operator at one site and returns the new content of the file.
	ApplyMutation(ctx context.Context, req *ApplyMutationRequest) (*ApplyMutationResponse, error)
	// RemoveTests removes the given tests from one test file and returns its new content.
	RemoveTests(ctx context.Context, req *RemoveTestsRequest) (*RemoveTestsResponse, error)
	// CoverageCommand gives the script that records which source lines each test executes, and the builtin
	// coverage parser that reads what it prints; Unsupported says why a repository has none.
	CoverageCommand(ctx context.Context, req *CoverageCommandRequest) (*CoverageCommandResponse, error)
	// ParseCoverage turns the coverage script's output into the lines each test executed.
	ParseCoverage(ctx context.Context, req *ParseCoverageRequest) (*ParseCoverageResponse, error)
}

// Test statuses, as parsers report them and as DESIGN.md's artifact parser contract names them.
const (
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusError   = "error"
	// StatusNotRun is never printed by a runner: the arena gives it to a test that an earlier run reported
	// and that is absent from a run that ended early (timed out, crashed, did not build). Parsers may use it
	// for a test that started and never finished.
	StatusNotRun = "not_run"
)

// How a test run ended. A parser reports what the output shows (completed, build_failed, crashed); the
// arena sets timed_out from the run itself and decides from the exit status where the parser cannot tell.
const (
	RunCompleted   = "completed"    // the runner finished and reported every test it ran
	RunBuildFailed = "build_failed" // some code did not build or tests did not collect: their tests did not run
	RunCrashed     = "crashed"      // the runner died mid-suite (a panic, a signal, an internal error)
	RunTimedOut    = "timed_out"    // killed at its time limit
)

// Mutation operators. A plugin offers those that make sense for its language; MutationSite.Operators says
// which apply where. Each operator in InvertibleOperators must be undone, byte for byte, by one application
// of an operator of that list at the same site (most are their own inverse; constant_off_by_one and
// constant_minus_one undo each other); plugintest.Reachable checks it.
const (
	OpComparisonFlip   = "comparison_flip"     // < ↔ >=, > ↔ <=, == ↔ !=, …
	OpBoundaryShift    = "boundary_shift"      // < ↔ <=, > ↔ >=
	OpBooleanSwap      = "boolean_swap"        // and ↔ or, && ↔ ||
	OpArithmeticSwap   = "arithmetic_swap"     // + ↔ -, * ↔ /, …
	OpConstantOffByOne = "constant_off_by_one" // integer literal n → n+1
	OpConstantMinusOne = "constant_minus_one"  // integer literal n ≥ 1 → n-1 (undoes an off-by-one)
	OpNegateCondition  = "negate_condition"    // if c → if not c
	OpRemoveStatement  = "remove_statement"    // a statement removed (replaced by a no-op where the grammar needs one)
	OpDefaultReturn    = "default_return"      // return x → return the type's zero value / None
	OpSwapArguments    = "swap_arguments"      // f(a, b) → f(b, a)
	OpRemoveBody       = "remove_body"         // a whole function body removed (the removal strategy)
)

// AllOperators lists every operator name in a stable order.
var AllOperators = []string{
	OpComparisonFlip, OpBoundaryShift, OpBooleanSwap, OpArithmeticSwap, OpConstantOffByOne, OpConstantMinusOne, OpNegateCondition,
	OpRemoveStatement, OpDefaultReturn, OpSwapArguments, OpRemoveBody,
}

// InvertibleOperators are the operators whose every application one edit undoes: one application of one of
// them at the same site gives the original file back byte for byte. They are the structured solver's edits
// and what the native injector's first curriculum stages draw from. The others delete code
// (remove_statement, default_return, remove_body): no operator gives it back, so only an agent that writes
// code can repair them.
var InvertibleOperators = []string{
	OpComparisonFlip, OpBoundaryShift, OpBooleanSwap, OpArithmeticSwap, OpConstantOffByOne, OpConstantMinusOne,
	OpNegateCondition, OpSwapArguments,
}

// DescribeRequest asks a plugin to describe itself.
type DescribeRequest struct{}

// DescribeResponse names a plugin and what it offers.
type DescribeResponse struct {
	Name      string   `json:"name"`      // short name, e.g. "python"
	Version   string   `json:"version"`   // the plugin's own version
	Languages []string `json:"languages"` // languages handled, e.g. ["python"]
	Parsers   []string `json:"parsers"`   // builtin parser names it implements, e.g. ["pytest"]
	Operators []string `json:"operators"` // mutation operators it implements
}

// DetectRequest describes a repository checked out on the host.
type DetectRequest struct {
	Root  string   `json:"root"`  // absolute path of the checkout on the host (readable by the plugin)
	Files []string `json:"files"` // every tracked file, repo-relative, slash-separated
}

// DetectResponse says how much a repository looks like the plugin's.
type DetectResponse struct {
	Confidence float64 `json:"confidence"` // 0 (not mine) to 1 (certainly mine)
	Reason     string  `json:"reason"`     // one line a user can read, e.g. "go.mod and 12 *_test.go files"
}

// RecipeRequest asks what a repository's image needs.
type RecipeRequest struct {
	Root  string   `json:"root"`
	Files []string `json:"files"`
}

// RecipeResponse is what a repository's image needs on top of the base image. Setup steps run as root;
// tests and agents' commands later run as an unprivileged user who can write only the repository,
// SandboxHome, /tmp and /var/tmp: a cache that the setup steps warm and the tests use (a build cache) goes
// under SandboxHome.
type RecipeResponse struct {
	Packages []string          `json:"packages"` // Debian packages
	Setup    []string          `json:"setup"`    // shell commands run in order from /repo, as root, while the image is built
	Env      map[string]string `json:"env"`      // environment for setup steps and every later run
}

// SandboxHome is the home of the user that tests run as in every repo image, made before the setup steps
// run and given to that user after them (root's, for a repository that runs as root): the place for
// caches that tests write.
const SandboxHome = "/home/ssr"

// TestFilesRequest lists a repository's files.
type TestFilesRequest struct {
	Files []string `json:"files"`
}

// TestFilesResponse lists the test files among them (support files such as conftest.py included).
type TestFilesResponse struct {
	TestFiles []string `json:"test_files"`
	// Sources lists the source files whose code the plugin's test command exercises: the places where a bug
	// can be seen by the tests. It leaves out docs, examples, benchmarks, vendored code, and nested modules
	// that the command does not test. Nil means the plugin has no such rule (every non-test file counts).
	Sources []string `json:"sources,omitempty"`
	// Warnings are lines a user should read once, e.g. "nested Go module tools/ (tools/go.mod) is not tested".
	Warnings []string `json:"warnings,omitempty"`
	// RunnerConfig lists the files among them that steer how the tests run without being tests (pytest.ini,
	// pyproject.toml, setup.cfg, *.pth): the test-file rule covers them too (a bug diff must not touch them,
	// a solver's edits to them are dropped), but they are not oracle files.
	RunnerConfig []string `json:"runner_config,omitempty"`
}

// TestCommandRequest asks for the script that runs tests.
type TestCommandRequest struct {
	TestFiles []string `json:"test_files"` // only the tests in these files; empty means all tests
	// TestIDs asks for only these tests, by the ids ParseTestOutput gives (a Go id selects its subtests too).
	// A plugin that can select tests one by one says so in TestCommandResponse.SelectsIDs; one that cannot
	// ignores them. When both are given, TestIDs wins.
	TestIDs []string `json:"test_ids,omitempty"`
}

// TestCommandResponse is a bash script run from /repo and the builtin parser that reads what it prints.
type TestCommandResponse struct {
	Script string `json:"script"`
	Parser string `json:"parser"`
	// SelectsIDs is true when the script runs just the request's TestIDs (and their subtests): the plugin
	// selects by id. False means TestIDs were ignored (the script runs TestFiles, or every test).
	SelectsIDs bool `json:"selects_ids,omitempty"`
}

// ParseTestOutputRequest carries one test run's output.
type ParseTestOutputRequest struct {
	Parser string `json:"parser"` // one of DescribeResponse.Parsers
	Output []byte `json:"output"` // stdout and stderr of the test script, as captured
}

// TestResult is one test's outcome.
type TestResult struct {
	ID       string  `json:"id"`       // stable test id, e.g. "tests/test_x.py::TestA::test_b[1-2]" or "example.com/m/pkg::TestX/sub"
	Status   string  `json:"status"`   // one of the Status constants
	Duration float64 `json:"duration"` // seconds; 0 when unknown
	File     string  `json:"file"`     // repo-relative file that defines the test, when known
}

// ParseTestOutputResponse lists every test the output reports, each once, and how the run ended.
type ParseTestOutputResponse struct {
	Tests []TestResult `json:"tests"`
	// End is one of the Run constants as the output shows it; empty when the parser cannot tell (the arena
	// then decides from the exit status).
	End string `json:"end,omitempty"`
	// Broken lists what did not build or collect (Go packages, Python test files), each once.
	Broken []string `json:"broken,omitempty"`
	// Detail is one line on an abnormal end, e.g. "panic in example.com/m/pkg (TestX): index out of range".
	Detail string `json:"detail,omitempty"`
}

// MutationSitesRequest carries one source file.
type MutationSitesRequest struct {
	Path      string   `json:"path"`      // repo-relative
	Source    []byte   `json:"source"`    // its content
	Operators []string `json:"operators"` // only these operators; empty means all
}

// MutationSite is one place where operators apply.
type MutationSite struct {
	StartByte int      `json:"start_byte"` // byte range of the node in Source
	EndByte   int      `json:"end_byte"`
	Line      int      `json:"line"`   // 1-based position of StartByte
	Column    int      `json:"column"` // 1-based, in bytes
	Node      string   `json:"node"`   // the syntax node's kind, e.g. "comparison_operator", "*ast.BinaryExpr"
	Operators []string `json:"operators"`
	Function  string   `json:"function"` // enclosing function or method, e.g. "Stack.push"; empty at top level
}

// MutationSitesResponse lists sites in source order. A file that does not parse gives ParseError and no sites.
type MutationSitesResponse struct {
	Sites      []MutationSite `json:"sites"`
	ParseError string         `json:"parse_error,omitempty"`
}

// ApplyMutationRequest asks for one operator at one site (as MutationSites returned it for the same Source).
type ApplyMutationRequest struct {
	Path     string       `json:"path"`
	Source   []byte       `json:"source"`
	Site     MutationSite `json:"site"`
	Operator string       `json:"operator"`
}

// ApplyMutationResponse is the mutated file. Refused says why the operator did not apply (and Source is empty).
type ApplyMutationResponse struct {
	Source      []byte `json:"source"`
	Description string `json:"description"` // one line, e.g. "line 12: '<' → '>='"
	Refused     string `json:"refused,omitempty"`
}

// RemoveTestsRequest names tests to remove from one test file, by the ids ParseTestOutput gives.
type RemoveTestsRequest struct {
	Path   string   `json:"path"`
	Source []byte   `json:"source"`
	Tests  []string `json:"tests"`
}

// RemoveTestsResponse is the file without those tests.
type RemoveTestsResponse struct {
	Source   []byte   `json:"source"`
	Removed  []string `json:"removed"`   // ids removed
	NotFound []string `json:"not_found"` // ids not defined in this file
	// Unremovable maps ids that this file defines (or inherits) but that could not be removed to why.
	Unremovable map[string]string `json:"unremovable,omitempty"`
}

// CoverageCommandRequest asks for the script that records per-test coverage of a repository's whole suite.
type CoverageCommandRequest struct {
	Files []string `json:"files,omitempty"` // the repository's tracked files, repo-relative
}

// CoverageCommandResponse is a bash script run from /repo that runs every test with coverage recorded per
// test, and the name of the plugin's coverage parser, passed back to ParseCoverage (coverage parsers are
// not test-output parsers: DescribeResponse.Parsers does not list them). It runs
// once per repository image, in the baseline; its time limit is a multiple of the whole suite's.
type CoverageCommandResponse struct {
	Script string `json:"script"`
	Parser string `json:"parser"`
	// Unsupported, when set, is one line on why this repository's coverage cannot be had (the script is then
	// empty): ssr runs its artifacts' whole suites instead.
	Unsupported string `json:"unsupported,omitempty"`
}

// ParseCoverageRequest carries the coverage script's output.
type ParseCoverageRequest struct {
	Parser string `json:"parser"`
	Output []byte `json:"output"`
}

// LineRange is lines Start to End of a file, 1-based and inclusive.
type LineRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// FileLines are the lines of one repo-relative source file that ran, in ascending, non-overlapping ranges.
type FileLines struct {
	Path  string      `json:"path"`
	Lines []LineRange `json:"lines"`
}

// TestCoverage is what one test executed. A test that executed no measured line has no Files: it is listed
// all the same, so that "covers nothing" differs from "not measured".
type TestCoverage struct {
	ID    string      `json:"id"` // as ParseTestOutput gives it; a Go id is a top-level test (its subtests share it)
	Files []FileLines `json:"files,omitempty"`
}

// ParseCoverageResponse is the coverage of every test the output names, sorted by id.
type ParseCoverageResponse struct {
	Tests []TestCoverage `json:"tests"`
	// Shared lists lines that ran outside any one test (module imports, package initialisation, session
	// fixtures): a change there may affect every test.
	Shared []FileLines `json:"shared,omitempty"`
	// Error is one line on why the output holds no coverage (the run broke, the tool is missing); Tests is
	// then empty. It is an expected outcome, not a failure of the plugin.
	Error string `json:"error,omitempty"`
}
