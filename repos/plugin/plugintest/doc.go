// Package plugintest is the conformance harness for language plugins: the checks every plugin must pass,
// run against a small sample repository (a Fixture) that the plugin author provides.
//
// In a plugin's own tests, run the checks on the implementation directly, over in-process gRPC, and
// through the real host against the built program:
//
//	func TestConformance(t *testing.T) {
//		fx, err := plugintest.LoadFixture("testdata/fixture")
//		if err != nil {
//			t.Fatal(err)
//		}
//		plugintest.Run(t, myLanguage{}, fx)
//		plugintest.Run(t, plugintest.InProcess(t, myLanguage{}), fx)
//		plugintest.RunBinary(t, pathToBuiltProgram, fx)
//	}
//
// Outside tests (ssr plugins test), Check runs the same checks and returns one Result per check.
//
// Among the checks, reachable/FILE (Reachable) asks that every invertible operator (plugin.InvertibleOperators)
// be undone byte for byte by one of them at the same site: the structured solver repairs in no other way.
// RunReachable runs it over a whole sample repository, such as a built-in example.
package plugintest
