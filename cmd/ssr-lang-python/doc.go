// Command ssr-lang-python is ssr's first-party language plugin for Python projects tested with pytest.
//
// ssr starts it through the plugin protocol (package repos/plugin); it is not meant to be run by hand.
// Start reading at python.go (the plugin.Language implementation), then:
//
//   - detect.go, recipe.go: does a repository look like Python, and what its image needs;
//   - testfiles.go: which files are the test oracle, which are the sources the tests exercise (not docs,
//     examples, benchmarks, tooling or vendored code), and the bash script that runs pytest;
//   - pytest_parse.go: the builtin "pytest" parser for what that script prints, and how the run ended:
//     build_failed when test files did not collect (Broken lists them), crashed on INTERNALERROR or when
//     the output stops before pytest's final line (killed mid-suite), else completed;
//   - mutate.go: mutation sites and operators over a tree-sitter syntax tree (syntax.go); every invertible
//     operator is undone byte for byte by one operator at the same site (examples_test.go proves it);
//   - remove.go: removing tests from a test file; remove_inherited.go: hiding tests a class inherits from
//     a mixin or base class ("test_m = None"), which then counts as no test.
//
// testdata/suites holds small pytest suites whose real outputs (recorded with this plugin's own test
// command and Debian bookworm's pytest 7.2) are kept in testdata/pytest with the expected parse; see
// pytest_parse_test.go for the -record and -update flags. The *.ssr-pytest8.out recordings are the same
// suites under Debian trixie's pytest 8.3 (the default base image), which must parse to the same results
// (pytest8_test.go; the killed and mixin suites have no pytest 8 recording yet). testdata/mutation holds a sample module and
// per-operator golden outputs, testdata/remove the RemoveTests goldens, testdata/fixture the plugintest
// fixture, and testdata/fuzz the seed corpora of FuzzParsePytest and FuzzMutations.
package main
