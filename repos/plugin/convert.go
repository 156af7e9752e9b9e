package plugin

import "github.com/selfplay-swe/ssr/repos/plugin/internal/pb"

// Converters between the public types and their wire form. Empty slices and maps travel as nil: a
// response's "nothing" is always nil after a round trip. (So an empty, non-nil TestFilesResponse.Sources
// arrives as nil, "no rule": a plugin whose rule finds no source file should say so in Warnings.)

func describeRespToPB(r *DescribeResponse) *pb.DescribeResponse {
	return &pb.DescribeResponse{Name: r.Name, Version: r.Version, Languages: r.Languages, Parsers: r.Parsers, Operators: r.Operators}
}

func describeRespFromPB(r *pb.DescribeResponse) *DescribeResponse {
	return &DescribeResponse{Name: r.GetName(), Version: r.GetVersion(), Languages: strs(r.GetLanguages()), Parsers: strs(r.GetParsers()), Operators: strs(r.GetOperators())}
}

func detectReqToPB(r *DetectRequest) *pb.DetectRequest {
	return &pb.DetectRequest{Root: r.Root, Files: r.Files}
}

func detectReqFromPB(r *pb.DetectRequest) *DetectRequest {
	return &DetectRequest{Root: r.GetRoot(), Files: strs(r.GetFiles())}
}

func detectRespToPB(r *DetectResponse) *pb.DetectResponse {
	return &pb.DetectResponse{Confidence: r.Confidence, Reason: r.Reason}
}

func detectRespFromPB(r *pb.DetectResponse) *DetectResponse {
	return &DetectResponse{Confidence: r.GetConfidence(), Reason: r.GetReason()}
}

func recipeReqToPB(r *RecipeRequest) *pb.RecipeRequest {
	return &pb.RecipeRequest{Root: r.Root, Files: r.Files}
}

func recipeReqFromPB(r *pb.RecipeRequest) *RecipeRequest {
	return &RecipeRequest{Root: r.GetRoot(), Files: strs(r.GetFiles())}
}

func recipeRespToPB(r *RecipeResponse) *pb.RecipeResponse {
	return &pb.RecipeResponse{Packages: r.Packages, Setup: r.Setup, Env: r.Env}
}

func recipeRespFromPB(r *pb.RecipeResponse) *RecipeResponse {
	return &RecipeResponse{Packages: strs(r.GetPackages()), Setup: strs(r.GetSetup()), Env: strmap(r.GetEnv())}
}

func testFilesReqToPB(r *TestFilesRequest) *pb.TestFilesRequest {
	return &pb.TestFilesRequest{Files: r.Files}
}

func testFilesReqFromPB(r *pb.TestFilesRequest) *TestFilesRequest {
	return &TestFilesRequest{Files: strs(r.GetFiles())}
}

func testFilesRespToPB(r *TestFilesResponse) *pb.TestFilesResponse {
	return &pb.TestFilesResponse{TestFiles: r.TestFiles, Sources: r.Sources, Warnings: r.Warnings, RunnerConfig: r.RunnerConfig}
}

func testFilesRespFromPB(r *pb.TestFilesResponse) *TestFilesResponse {
	return &TestFilesResponse{TestFiles: strs(r.GetTestFiles()), Sources: strs(r.GetSources()), Warnings: strs(r.GetWarnings()),
		RunnerConfig: strs(r.GetRunnerConfig())}
}

func testCommandReqToPB(r *TestCommandRequest) *pb.TestCommandRequest {
	return &pb.TestCommandRequest{TestFiles: r.TestFiles, TestIds: r.TestIDs}
}

func testCommandReqFromPB(r *pb.TestCommandRequest) *TestCommandRequest {
	return &TestCommandRequest{TestFiles: strs(r.GetTestFiles()), TestIDs: strs(r.GetTestIds())}
}

func testCommandRespToPB(r *TestCommandResponse) *pb.TestCommandResponse {
	return &pb.TestCommandResponse{Script: r.Script, Parser: r.Parser, SelectsIds: r.SelectsIDs}
}

func testCommandRespFromPB(r *pb.TestCommandResponse) *TestCommandResponse {
	return &TestCommandResponse{Script: r.GetScript(), Parser: r.GetParser(), SelectsIDs: r.GetSelectsIds()}
}

func parseReqToPB(r *ParseTestOutputRequest) *pb.ParseTestOutputRequest {
	return &pb.ParseTestOutputRequest{Parser: r.Parser, Output: r.Output}
}

func parseReqFromPB(r *pb.ParseTestOutputRequest) *ParseTestOutputRequest {
	return &ParseTestOutputRequest{Parser: r.GetParser(), Output: byts(r.GetOutput())}
}

func parseRespToPB(r *ParseTestOutputResponse) *pb.ParseTestOutputResponse {
	out := &pb.ParseTestOutputResponse{End: r.End, Broken: r.Broken, Detail: r.Detail}
	if len(r.Tests) > 0 {
		out.Tests = make([]*pb.TestResult, len(r.Tests))
		for i, t := range r.Tests {
			out.Tests[i] = &pb.TestResult{Id: t.ID, Status: t.Status, Duration: t.Duration, File: t.File}
		}
	}
	return out
}

func parseRespFromPB(r *pb.ParseTestOutputResponse) *ParseTestOutputResponse {
	out := &ParseTestOutputResponse{End: r.GetEnd(), Broken: strs(r.GetBroken()), Detail: r.GetDetail()}
	if len(r.GetTests()) > 0 {
		out.Tests = make([]TestResult, len(r.GetTests()))
		for i, t := range r.GetTests() {
			out.Tests[i] = TestResult{ID: t.GetId(), Status: t.GetStatus(), Duration: t.GetDuration(), File: t.GetFile()}
		}
	}
	return out
}

func siteToPB(s MutationSite) *pb.MutationSite {
	return &pb.MutationSite{
		StartByte: int64(s.StartByte), EndByte: int64(s.EndByte), Line: int64(s.Line), Column: int64(s.Column),
		Node: s.Node, Operators: s.Operators, Function: s.Function,
	}
}

func siteFromPB(s *pb.MutationSite) MutationSite {
	return MutationSite{
		StartByte: int(s.GetStartByte()), EndByte: int(s.GetEndByte()), Line: int(s.GetLine()), Column: int(s.GetColumn()),
		Node: s.GetNode(), Operators: strs(s.GetOperators()), Function: s.GetFunction(),
	}
}

func sitesReqToPB(r *MutationSitesRequest) *pb.MutationSitesRequest {
	return &pb.MutationSitesRequest{Path: r.Path, Source: r.Source, Operators: r.Operators}
}

func sitesReqFromPB(r *pb.MutationSitesRequest) *MutationSitesRequest {
	return &MutationSitesRequest{Path: r.GetPath(), Source: byts(r.GetSource()), Operators: strs(r.GetOperators())}
}

func sitesRespToPB(r *MutationSitesResponse) *pb.MutationSitesResponse {
	out := &pb.MutationSitesResponse{ParseError: r.ParseError}
	if len(r.Sites) > 0 {
		out.Sites = make([]*pb.MutationSite, len(r.Sites))
		for i, s := range r.Sites {
			out.Sites[i] = siteToPB(s)
		}
	}
	return out
}

func sitesRespFromPB(r *pb.MutationSitesResponse) *MutationSitesResponse {
	out := &MutationSitesResponse{ParseError: r.GetParseError()}
	if len(r.GetSites()) > 0 {
		out.Sites = make([]MutationSite, len(r.GetSites()))
		for i, s := range r.GetSites() {
			out.Sites[i] = siteFromPB(s)
		}
	}
	return out
}

func applyReqToPB(r *ApplyMutationRequest) *pb.ApplyMutationRequest {
	return &pb.ApplyMutationRequest{Path: r.Path, Source: r.Source, Site: siteToPB(r.Site), Operator: r.Operator}
}

func applyReqFromPB(r *pb.ApplyMutationRequest) *ApplyMutationRequest {
	var site MutationSite
	if r.GetSite() != nil {
		site = siteFromPB(r.GetSite())
	}
	return &ApplyMutationRequest{Path: r.GetPath(), Source: byts(r.GetSource()), Site: site, Operator: r.GetOperator()}
}

func applyRespToPB(r *ApplyMutationResponse) *pb.ApplyMutationResponse {
	return &pb.ApplyMutationResponse{Source: r.Source, Description: r.Description, Refused: r.Refused}
}

func applyRespFromPB(r *pb.ApplyMutationResponse) *ApplyMutationResponse {
	return &ApplyMutationResponse{Source: byts(r.GetSource()), Description: r.GetDescription(), Refused: r.GetRefused()}
}

func removeReqToPB(r *RemoveTestsRequest) *pb.RemoveTestsRequest {
	return &pb.RemoveTestsRequest{Path: r.Path, Source: r.Source, Tests: r.Tests}
}

func removeReqFromPB(r *pb.RemoveTestsRequest) *RemoveTestsRequest {
	return &RemoveTestsRequest{Path: r.GetPath(), Source: byts(r.GetSource()), Tests: strs(r.GetTests())}
}

func removeRespToPB(r *RemoveTestsResponse) *pb.RemoveTestsResponse {
	return &pb.RemoveTestsResponse{Source: r.Source, Removed: r.Removed, NotFound: r.NotFound, Unremovable: r.Unremovable}
}

func removeRespFromPB(r *pb.RemoveTestsResponse) *RemoveTestsResponse {
	return &RemoveTestsResponse{
		Source: byts(r.GetSource()), Removed: strs(r.GetRemoved()), NotFound: strs(r.GetNotFound()),
		Unremovable: strmap(r.GetUnremovable()),
	}
}

func coverageCmdReqToPB(r *CoverageCommandRequest) *pb.CoverageCommandRequest {
	return &pb.CoverageCommandRequest{Files: r.Files}
}

func coverageCmdReqFromPB(r *pb.CoverageCommandRequest) *CoverageCommandRequest {
	return &CoverageCommandRequest{Files: strs(r.GetFiles())}
}

func coverageCmdRespToPB(r *CoverageCommandResponse) *pb.CoverageCommandResponse {
	return &pb.CoverageCommandResponse{Script: r.Script, Parser: r.Parser, Unsupported: r.Unsupported}
}

func coverageCmdRespFromPB(r *pb.CoverageCommandResponse) *CoverageCommandResponse {
	return &CoverageCommandResponse{Script: r.GetScript(), Parser: r.GetParser(), Unsupported: r.GetUnsupported()}
}

func parseCoverageReqToPB(r *ParseCoverageRequest) *pb.ParseCoverageRequest {
	return &pb.ParseCoverageRequest{Parser: r.Parser, Output: r.Output}
}

func parseCoverageReqFromPB(r *pb.ParseCoverageRequest) *ParseCoverageRequest {
	return &ParseCoverageRequest{Parser: r.GetParser(), Output: byts(r.GetOutput())}
}

func fileLinesToPB(fs []FileLines) []*pb.FileLines {
	if len(fs) == 0 {
		return nil
	}
	out := make([]*pb.FileLines, len(fs))
	for i, f := range fs {
		out[i] = &pb.FileLines{Path: f.Path}
		if len(f.Lines) > 0 {
			out[i].Lines = make([]*pb.LineRange, len(f.Lines))
			for j, l := range f.Lines {
				out[i].Lines[j] = &pb.LineRange{Start: int64(l.Start), End: int64(l.End)}
			}
		}
	}
	return out
}

func fileLinesFromPB(fs []*pb.FileLines) []FileLines {
	if len(fs) == 0 {
		return nil
	}
	out := make([]FileLines, len(fs))
	for i, f := range fs {
		out[i] = FileLines{Path: f.GetPath()}
		if len(f.GetLines()) > 0 {
			out[i].Lines = make([]LineRange, len(f.GetLines()))
			for j, l := range f.GetLines() {
				out[i].Lines[j] = LineRange{Start: int(l.GetStart()), End: int(l.GetEnd())}
			}
		}
	}
	return out
}

func parseCoverageRespToPB(r *ParseCoverageResponse) *pb.ParseCoverageResponse {
	out := &pb.ParseCoverageResponse{Shared: fileLinesToPB(r.Shared), Error: r.Error}
	if len(r.Tests) > 0 {
		out.Tests = make([]*pb.TestCoverage, len(r.Tests))
		for i, t := range r.Tests {
			out.Tests[i] = &pb.TestCoverage{Id: t.ID, Files: fileLinesToPB(t.Files)}
		}
	}
	return out
}

func parseCoverageRespFromPB(r *pb.ParseCoverageResponse) *ParseCoverageResponse {
	out := &ParseCoverageResponse{Shared: fileLinesFromPB(r.GetShared()), Error: r.GetError()}
	if len(r.GetTests()) > 0 {
		out.Tests = make([]TestCoverage, len(r.GetTests()))
		for i, t := range r.GetTests() {
			out.Tests[i] = TestCoverage{ID: t.GetId(), Files: fileLinesFromPB(t.GetFiles())}
		}
	}
	return out
}

// strs and byts normalise an empty list to nil, so a value looks the same on both sides of the wire.
func strs(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func strmap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func byts(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
