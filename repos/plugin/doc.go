// Package plugin is the language-plugin protocol: the public request and response types a plugin answers
// (start with Language in types.go), the SDK a plugin author calls (Serve), the Host that discovers and
// runs ssr-lang-* programs over gRPC, and the harness in plugintest that any plugin author runs against a
// plugin. The .proto file and its generated code live in internal/pb and are not part of the API.
//
// # Writing a plugin
//
// A plugin is a Go program that implements Language and hands it to Serve. Its main is three lines:
//
//	package main
//
//	import "github.com/selfplay-swe/ssr/repos/plugin"
//
//	func main() { plugin.Serve(rustLanguage{}) }
//
// Every call is (ctx, *Request) (*Response, error). An expected outcome goes in the response: a file that
// does not parse is MutationSitesResponse.ParseError, an operator that does not fit is
// ApplyMutationResponse.Refused, a test that is not in the file is RemoveTestsResponse.NotFound. Return an
// error only for a real failure (the host reports it as "plugin ssr-lang-NAME: Op failed: ..."). A panic
// in a call is recovered by Serve and reported the same way (WithoutPanicRecovery turns that off).
// Test ids are the plugin's own but must be stable between runs and never progress or summary noise;
// statuses are the Status constants; operator names are the Op constants (Describe lists those offered).
//
// Two things make ssr run fewer tests, and both are optional. CoverageCommand gives a script that records
// which source lines each test executes (run once per repository image, with the baseline) and
// ParseCoverage reads its output: the test ids must be ParseTestOutput's (a Go-style id may name a
// top-level test whose subtests "id/sub" share its coverage), lines that ran outside any test go in Shared,
// and a repository the plugin cannot measure gets Unsupported. TestCommand with TestIDs runs just those
// tests, saying so with SelectsIDs, and must still run when some of them no longer exist (a weakening
// removes tests). A plugin that implements neither works as before: whole suites.
//
// # Building and naming
//
// Build the program as ssr-lang-NAME (NAME is what Describe returns, e.g. ssr-lang-go) and put it where
// the host looks, in this order, the first found winning for each NAME: each directory of
// $SSR_PLUGIN_DIR (colon-separated), the directory of the ssr executable, then $PATH.
//
//	go build -o ~/.local/bin/ssr-lang-rust ./cmd/ssr-lang-rust
//	ssr plugins ls
//
// Run by hand, the program only prints that it is a plugin: the host starts it with the handshake
// (Handshake: protocol version ProtocolVersion, magic cookie SSR_PLUGIN) in its environment. Anything the
// plugin writes to stderr goes to the host's log, and the last lines appear in the error when it crashes.
//
// # Testing a plugin
//
// Write a fixture: a directory with repo/ (a small sample repository in the plugin's language) and
// fixture.json naming its source files, the tests each test file defines, and sample test outputs (real
// ones, recorded by running the tests) with the statuses they must parse to. See
// cmd/ssr-lang-go/testdata/fixture for an example. Then run the harness in the plugin's tests, directly,
// over in-process gRPC, and against the built program through the real host:
//
//	fx, _ := plugintest.LoadFixture("testdata/fixture")
//	plugintest.Run(t, rustLanguage{}, fx)
//	plugintest.Run(t, plugintest.InProcess(t, rustLanguage{}), fx)
//	plugintest.RunBinary(t, builtProgramPath, fx)
//
// or from the command line: ssr plugins test --fixture testdata/fixture ./ssr-lang-rust.
//
// # Using plugins (the host side)
//
//	h := plugin.NewHost()                       // WithDirs, WithCallTimeout, WithLogger, ...
//	defer h.Close()                             // stops every plugin process
//	res, err := h.Detect(ctx, &plugin.DetectRequest{Root: dir, Files: files}, plugin.DefaultMinConfidence)
//	lang := res.Best.Client                     // a *Client is a Language
//	cmd, err := lang.TestCommand(ctx, &plugin.TestCommandRequest{})
//
// Each call is bounded by the call timeout (DefaultCallTimeout); a plugin that does not answer in time is
// stopped and the error wraps ErrTimeout. A plugin that crashes mid-call gives an *Error wrapping
// ErrCrashed that names the plugin and the call and carries its stderr tail; its next call starts a new
// process (up to WithMaxRestarts, then ErrGaveUp). Other plugins are unaffected.
package plugin
