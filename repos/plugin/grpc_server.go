package plugin

import (
	"context"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/selfplay-swe/ssr/repos/plugin/internal/pb"
)

// grpcServer is the plugin side: it decodes each request, calls the Language and encodes its answer.
type grpcServer struct {
	pb.UnimplementedLanguageServer
	impl          Language
	recoverPanics bool
	beforeCall    func()
}

// serve runs one call with the request converted from the wire, and converts the answer back. A nil
// response without an error is the plugin's bug; it is reported as such rather than sent as "nothing".
func serve[Req, PReq, Resp, PResp any](ctx context.Context, s *grpcServer, op string, in PReq,
	from func(PReq) *Req, call func(context.Context, *Req) (*Resp, error), to func(*Resp) PResp) (out PResp, err error) {
	if s.beforeCall != nil {
		s.beforeCall()
	}
	if s.recoverPanics {
		defer func() {
			if v := recover(); v != nil {
				err = status.Errorf(codes.Internal, "panic in %s: %v\n%s", op, v, stackTop(debug.Stack(), 12))
			}
		}()
	}
	resp, err := call(ctx, from(in))
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return out, err
		}
		return out, status.Error(codes.Unknown, err.Error())
	}
	if resp == nil {
		return out, status.Errorf(codes.Internal, "%s returned neither a response nor an error", op)
	}
	return to(resp), nil
}

// stackTop keeps the first n lines of a stack trace: enough to find the panic, short enough for one error.
func stackTop(stack []byte, n int) string {
	lines := strings.SplitN(string(stack), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func (s *grpcServer) Describe(ctx context.Context, in *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return serve(ctx, s, "Describe", in, func(*pb.DescribeRequest) *DescribeRequest { return &DescribeRequest{} }, s.impl.Describe, describeRespToPB)
}

func (s *grpcServer) Detect(ctx context.Context, in *pb.DetectRequest) (*pb.DetectResponse, error) {
	return serve(ctx, s, "Detect", in, detectReqFromPB, s.impl.Detect, detectRespToPB)
}

func (s *grpcServer) Recipe(ctx context.Context, in *pb.RecipeRequest) (*pb.RecipeResponse, error) {
	return serve(ctx, s, "Recipe", in, recipeReqFromPB, s.impl.Recipe, recipeRespToPB)
}

func (s *grpcServer) TestFiles(ctx context.Context, in *pb.TestFilesRequest) (*pb.TestFilesResponse, error) {
	return serve(ctx, s, "TestFiles", in, testFilesReqFromPB, s.impl.TestFiles, testFilesRespToPB)
}

func (s *grpcServer) TestCommand(ctx context.Context, in *pb.TestCommandRequest) (*pb.TestCommandResponse, error) {
	return serve(ctx, s, "TestCommand", in, testCommandReqFromPB, s.impl.TestCommand, testCommandRespToPB)
}

func (s *grpcServer) ParseTestOutput(ctx context.Context, in *pb.ParseTestOutputRequest) (*pb.ParseTestOutputResponse, error) {
	return serve(ctx, s, "ParseTestOutput", in, parseReqFromPB, s.impl.ParseTestOutput, parseRespToPB)
}

func (s *grpcServer) MutationSites(ctx context.Context, in *pb.MutationSitesRequest) (*pb.MutationSitesResponse, error) {
	return serve(ctx, s, "MutationSites", in, sitesReqFromPB, s.impl.MutationSites, sitesRespToPB)
}

func (s *grpcServer) ApplyMutation(ctx context.Context, in *pb.ApplyMutationRequest) (*pb.ApplyMutationResponse, error) {
	return serve(ctx, s, "ApplyMutation", in, applyReqFromPB, s.impl.ApplyMutation, applyRespToPB)
}

func (s *grpcServer) RemoveTests(ctx context.Context, in *pb.RemoveTestsRequest) (*pb.RemoveTestsResponse, error) {
	return serve(ctx, s, "RemoveTests", in, removeReqFromPB, s.impl.RemoveTests, removeRespToPB)
}

func (s *grpcServer) CoverageCommand(ctx context.Context, in *pb.CoverageCommandRequest) (*pb.CoverageCommandResponse, error) {
	return serve(ctx, s, "CoverageCommand", in, coverageCmdReqFromPB, s.impl.CoverageCommand, coverageCmdRespToPB)
}

func (s *grpcServer) ParseCoverage(ctx context.Context, in *pb.ParseCoverageRequest) (*pb.ParseCoverageResponse, error) {
	return serve(ctx, s, "ParseCoverage", in, parseCoverageReqFromPB, s.impl.ParseCoverage, parseCoverageRespToPB)
}
