package plugin

import (
	"context"

	"google.golang.org/grpc"

	"github.com/selfplay-swe/ssr/repos/plugin/internal/pb"
)

// grpcClient is the host side of one connection: a Language whose every call is a gRPC call. The Client
// that the host hands out wraps it with timeouts, crash reports and restarts.
type grpcClient struct {
	c pb.LanguageClient
}

var _ Language = (*grpcClient)(nil)

func call[Req, PReq, Resp, PResp any](ctx context.Context, req *Req, to func(*Req) PReq,
	rpc func(context.Context, PReq, ...grpc.CallOption) (PResp, error), from func(PResp) *Resp) (*Resp, error) {
	if req == nil {
		req = new(Req)
	}
	out, err := rpc(ctx, to(req), grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize))
	if err != nil {
		return nil, err
	}
	return from(out), nil
}

func (g *grpcClient) Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error) {
	return call(ctx, req, func(*DescribeRequest) *pb.DescribeRequest { return &pb.DescribeRequest{} }, g.c.Describe, describeRespFromPB)
}

func (g *grpcClient) Detect(ctx context.Context, req *DetectRequest) (*DetectResponse, error) {
	return call(ctx, req, detectReqToPB, g.c.Detect, detectRespFromPB)
}

func (g *grpcClient) Recipe(ctx context.Context, req *RecipeRequest) (*RecipeResponse, error) {
	return call(ctx, req, recipeReqToPB, g.c.Recipe, recipeRespFromPB)
}

func (g *grpcClient) TestFiles(ctx context.Context, req *TestFilesRequest) (*TestFilesResponse, error) {
	return call(ctx, req, testFilesReqToPB, g.c.TestFiles, testFilesRespFromPB)
}

func (g *grpcClient) TestCommand(ctx context.Context, req *TestCommandRequest) (*TestCommandResponse, error) {
	return call(ctx, req, testCommandReqToPB, g.c.TestCommand, testCommandRespFromPB)
}

func (g *grpcClient) ParseTestOutput(ctx context.Context, req *ParseTestOutputRequest) (*ParseTestOutputResponse, error) {
	return call(ctx, req, parseReqToPB, g.c.ParseTestOutput, parseRespFromPB)
}

func (g *grpcClient) MutationSites(ctx context.Context, req *MutationSitesRequest) (*MutationSitesResponse, error) {
	return call(ctx, req, sitesReqToPB, g.c.MutationSites, sitesRespFromPB)
}

func (g *grpcClient) ApplyMutation(ctx context.Context, req *ApplyMutationRequest) (*ApplyMutationResponse, error) {
	return call(ctx, req, applyReqToPB, g.c.ApplyMutation, applyRespFromPB)
}

func (g *grpcClient) RemoveTests(ctx context.Context, req *RemoveTestsRequest) (*RemoveTestsResponse, error) {
	return call(ctx, req, removeReqToPB, g.c.RemoveTests, removeRespFromPB)
}

func (g *grpcClient) CoverageCommand(ctx context.Context, req *CoverageCommandRequest) (*CoverageCommandResponse, error) {
	return call(ctx, req, coverageCmdReqToPB, g.c.CoverageCommand, coverageCmdRespFromPB)
}

func (g *grpcClient) ParseCoverage(ctx context.Context, req *ParseCoverageRequest) (*ParseCoverageResponse, error) {
	return call(ctx, req, parseCoverageReqToPB, g.c.ParseCoverage, parseCoverageRespFromPB)
}
