package plugin

import (
	"reflect"
	"testing"
)

// TestConvertRoundTrip sends every public type through its wire form and back. Full values come back
// equal; empty lists and maps come back nil (the documented normalisation).
func TestConvertRoundTrip(t *testing.T) {
	site := MutationSite{StartByte: 3, EndByte: 9, Line: 2, Column: 4, Node: "*ast.BinaryExpr", Operators: []string{OpComparisonFlip}, Function: "S.m"}
	tests := map[string]struct {
		in, want any
		trip     func(any) any
	}{
		"describe": {
			in:   &DescribeResponse{Name: "go", Version: "1", Languages: []string{"go"}, Parsers: []string{"gotest-json"}, Operators: AllOperators},
			trip: func(v any) any { return describeRespFromPB(describeRespToPB(v.(*DescribeResponse))) },
		},
		"describe empty lists": {
			in: &DescribeResponse{Name: "x", Languages: []string{}}, want: &DescribeResponse{Name: "x"},
			trip: func(v any) any { return describeRespFromPB(describeRespToPB(v.(*DescribeResponse))) },
		},
		"detect request": {
			in:   &DetectRequest{Root: "/r", Files: []string{"a", "b/c"}},
			trip: func(v any) any { return detectReqFromPB(detectReqToPB(v.(*DetectRequest))) },
		},
		"detect response": {
			in:   &DetectResponse{Confidence: 0.75, Reason: "go.mod"},
			trip: func(v any) any { return detectRespFromPB(detectRespToPB(v.(*DetectResponse))) },
		},
		"recipe request": {
			in:   &RecipeRequest{Root: "/r", Files: []string{"go.mod"}},
			trip: func(v any) any { return recipeReqFromPB(recipeReqToPB(v.(*RecipeRequest))) },
		},
		"recipe response": {
			in:   &RecipeResponse{Packages: []string{"golang-go"}, Setup: []string{"go build ./..."}, Env: map[string]string{"A": "1"}},
			trip: func(v any) any { return recipeRespFromPB(recipeRespToPB(v.(*RecipeResponse))) },
		},
		"recipe empty env": {
			in: &RecipeResponse{Env: map[string]string{}}, want: &RecipeResponse{},
			trip: func(v any) any { return recipeRespFromPB(recipeRespToPB(v.(*RecipeResponse))) },
		},
		"test files": {
			in:   &TestFilesResponse{TestFiles: []string{"a_test.go"}},
			trip: func(v any) any { return testFilesRespFromPB(testFilesRespToPB(v.(*TestFilesResponse))) },
		},
		"test files with sources and warnings": {
			in: &TestFilesResponse{TestFiles: []string{"a_test.go"}, Sources: []string{"a.go", "b/b.go"},
				Warnings: []string{"nested Go module tools/ (tools/go.mod) is not tested by go test ./...; its files are left out"}},
			trip: func(v any) any { return testFilesRespFromPB(testFilesRespToPB(v.(*TestFilesResponse))) },
		},
		"test files with runner config": {
			in:   &TestFilesResponse{TestFiles: []string{"tests/test_a.py"}, RunnerConfig: []string{"pyproject.toml", "pytest.ini"}},
			trip: func(v any) any { return testFilesRespFromPB(testFilesRespToPB(v.(*TestFilesResponse))) },
		},
		"test files empty sources": {
			in: &TestFilesResponse{TestFiles: []string{}, Sources: []string{}, Warnings: []string{}}, want: &TestFilesResponse{},
			trip: func(v any) any { return testFilesRespFromPB(testFilesRespToPB(v.(*TestFilesResponse))) },
		},
		"test files request": {
			in:   &TestFilesRequest{Files: []string{"a.go", "a_test.go"}},
			trip: func(v any) any { return testFilesReqFromPB(testFilesReqToPB(v.(*TestFilesRequest))) },
		},
		"test command": {
			in:   &TestCommandResponse{Script: "go test", Parser: "gotest-json"},
			trip: func(v any) any { return testCommandRespFromPB(testCommandRespToPB(v.(*TestCommandResponse))) },
		},
		"test command request": {
			in:   &TestCommandRequest{TestFiles: []string{"x_test.go"}},
			trip: func(v any) any { return testCommandReqFromPB(testCommandReqToPB(v.(*TestCommandRequest))) },
		},
		"test command request with ids": {
			in:   &TestCommandRequest{TestIDs: []string{"m/p::TestA", "tests/test_x.py::test_b[1-2]"}},
			trip: func(v any) any { return testCommandReqFromPB(testCommandReqToPB(v.(*TestCommandRequest))) },
		},
		"test command selecting ids": {
			in:   &TestCommandResponse{Script: "go test -run '^(TestA)$' m/p", Parser: "gotest-json", SelectsIDs: true},
			trip: func(v any) any { return testCommandRespFromPB(testCommandRespToPB(v.(*TestCommandResponse))) },
		},
		"coverage command request": {
			in:   &CoverageCommandRequest{Files: []string{"go.mod", "a.go"}},
			trip: func(v any) any { return coverageCmdReqFromPB(coverageCmdReqToPB(v.(*CoverageCommandRequest))) },
		},
		"coverage command": {
			in:   &CoverageCommandResponse{Script: "go test -cover", Parser: "gocover"},
			trip: func(v any) any { return coverageCmdRespFromPB(coverageCmdRespToPB(v.(*CoverageCommandResponse))) },
		},
		"coverage command unsupported": {
			in:   &CoverageCommandResponse{Unsupported: "the manifest's test_command cannot be measured"},
			trip: func(v any) any { return coverageCmdRespFromPB(coverageCmdRespToPB(v.(*CoverageCommandResponse))) },
		},
		"parse coverage request": {
			in:   &ParseCoverageRequest{Parser: "gocover", Output: []byte("mode: set\n")},
			trip: func(v any) any { return parseCoverageReqFromPB(parseCoverageReqToPB(v.(*ParseCoverageRequest))) },
		},
		"parse coverage response": {
			in: &ParseCoverageResponse{
				Tests: []TestCoverage{
					{ID: "m/p::TestA", Files: []FileLines{{Path: "p/a.go", Lines: []LineRange{{Start: 3, End: 5}, {Start: 9, End: 9}}}}},
					{ID: "m/p::TestNothing"},
				},
				Shared: []FileLines{{Path: "p/a.go", Lines: []LineRange{{Start: 1, End: 1}}}},
			},
			trip: func(v any) any { return parseCoverageRespFromPB(parseCoverageRespToPB(v.(*ParseCoverageResponse))) },
		},
		"parse coverage empty": {
			in: &ParseCoverageResponse{Tests: []TestCoverage{}, Shared: []FileLines{}, Error: "no coverage data"}, want: &ParseCoverageResponse{Error: "no coverage data"},
			trip: func(v any) any { return parseCoverageRespFromPB(parseCoverageRespToPB(v.(*ParseCoverageResponse))) },
		},
		"parse request": {
			in:   &ParseTestOutputRequest{Parser: "p", Output: []byte("out\x00put")},
			trip: func(v any) any { return parseReqFromPB(parseReqToPB(v.(*ParseTestOutputRequest))) },
		},
		"parse response": {
			in:   &ParseTestOutputResponse{Tests: []TestResult{{ID: "a::T", Status: StatusPassed, Duration: 0.5, File: "a_test.go"}, {ID: "b", Status: StatusError}}},
			trip: func(v any) any { return parseRespFromPB(parseRespToPB(v.(*ParseTestOutputResponse))) },
		},
		"parse response with end": {
			in: &ParseTestOutputResponse{Tests: []TestResult{{ID: "m/p::TestA", Status: StatusNotRun}}, End: RunBuildFailed,
				Broken: []string{"m/p", "m/q"}, Detail: "2 packages did not build: m/p, m/q"},
			trip: func(v any) any { return parseRespFromPB(parseRespToPB(v.(*ParseTestOutputResponse))) },
		},
		"parse response empty broken": {
			in: &ParseTestOutputResponse{End: RunCompleted, Broken: []string{}}, want: &ParseTestOutputResponse{End: RunCompleted},
			trip: func(v any) any { return parseRespFromPB(parseRespToPB(v.(*ParseTestOutputResponse))) },
		},
		"parse response empty": {
			in: &ParseTestOutputResponse{Tests: []TestResult{}}, want: &ParseTestOutputResponse{},
			trip: func(v any) any { return parseRespFromPB(parseRespToPB(v.(*ParseTestOutputResponse))) },
		},
		"sites request": {
			in:   &MutationSitesRequest{Path: "a.go", Source: []byte("package a"), Operators: []string{OpRemoveBody}},
			trip: func(v any) any { return sitesReqFromPB(sitesReqToPB(v.(*MutationSitesRequest))) },
		},
		"sites response": {
			in:   &MutationSitesResponse{Sites: []MutationSite{site, {Node: "n"}}},
			trip: func(v any) any { return sitesRespFromPB(sitesRespToPB(v.(*MutationSitesResponse))) },
		},
		"sites parse error": {
			in:   &MutationSitesResponse{ParseError: "1:1: expected 'package'"},
			trip: func(v any) any { return sitesRespFromPB(sitesRespToPB(v.(*MutationSitesResponse))) },
		},
		"apply request": {
			in:   &ApplyMutationRequest{Path: "a.go", Source: []byte("x"), Site: site, Operator: OpComparisonFlip},
			trip: func(v any) any { return applyReqFromPB(applyReqToPB(v.(*ApplyMutationRequest))) },
		},
		"apply response": {
			in:   &ApplyMutationResponse{Source: []byte("y"), Description: "line 1: '<' → '>='"},
			trip: func(v any) any { return applyRespFromPB(applyRespToPB(v.(*ApplyMutationResponse))) },
		},
		"apply refused": {
			in:   &ApplyMutationResponse{Refused: "no site"},
			trip: func(v any) any { return applyRespFromPB(applyRespToPB(v.(*ApplyMutationResponse))) },
		},
		"remove request": {
			in:   &RemoveTestsRequest{Path: "a_test.go", Source: []byte("package a"), Tests: []string{"a::TestX"}},
			trip: func(v any) any { return removeReqFromPB(removeReqToPB(v.(*RemoveTestsRequest))) },
		},
		"remove response": {
			in:   &RemoveTestsResponse{Source: []byte("package a"), Removed: []string{"a::TestX"}, NotFound: []string{"a::TestY"}},
			trip: func(v any) any { return removeRespFromPB(removeRespToPB(v.(*RemoveTestsResponse))) },
		},
		"remove response unremovable": {
			in: &RemoveTestsResponse{Source: []byte("class T: pass"), NotFound: []string{"t.py::T::test_z"},
				Unremovable: map[string]string{"t.py::T::test_a": "defined by exec", "t.py::T::test_b": "inherited from a class the file cannot change"}},
			trip: func(v any) any { return removeRespFromPB(removeRespToPB(v.(*RemoveTestsResponse))) },
		},
		"remove response empty unremovable": {
			in: &RemoveTestsResponse{Unremovable: map[string]string{}}, want: &RemoveTestsResponse{},
			trip: func(v any) any { return removeRespFromPB(removeRespToPB(v.(*RemoveTestsResponse))) },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = tc.in
			}
			if got := tc.trip(tc.in); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestConvertNilSite(t *testing.T) {
	got := applyReqFromPB(applyReqToPB(&ApplyMutationRequest{Operator: "x"}))
	if got.Operator != "x" || !reflect.DeepEqual(got.Site, MutationSite{}) {
		t.Errorf("got %#v", got)
	}
}
