package plugin

import (
	"context"
	"errors"
	"net/rpc"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/selfplay-swe/ssr/repos/plugin/internal/pb"
)

// ProtocolVersion is the version of the plugin protocol. It changes only when a change to the wire form
// would break plugins built against an older SDK.
const ProtocolVersion = 1

// PluginName is the name under which a plugin program serves its Language in go-plugin's plugin set.
const PluginName = "language"

// ProgramPrefix starts the file name of every plugin program: a plugin named "go" is the executable
// ssr-lang-go.
const ProgramPrefix = "ssr-lang-"

// Handshake is shared by the host and the SDK. The magic cookie is not a secret: it only stops a user who
// runs a plugin program by hand from staring at a hung process.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "SSR_PLUGIN",
	MagicCookieValue: "ssr-language-plugin-7d1f0c2e",
}

// GRPCPlugin adapts a Language to go-plugin's gRPC plugin interface. The SDK (Serve) and the host use it;
// tests use it with go-plugin's TestPluginGRPCConn to run a Language over real gRPC in process. Impl is
// only needed on the plugin side.
type GRPCPlugin struct {
	Impl Language
	// RecoverPanics turns a panic in Impl into an error for that call instead of a crash of the plugin.
	RecoverPanics bool

	beforeCall func() // run at the start of every call on the plugin side
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the plugin side of the protocol.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterLanguageServer(s, &grpcServer{impl: p.Impl, recoverPanics: p.RecoverPanics, beforeCall: p.beforeCall})
	return nil
}

// GRPCClient returns the host side of the protocol: a Language that forwards every call over c.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcClient{c: pb.NewLanguageClient(c)}, nil
}

// errNetRPC answers go-plugin's net/rpc half of the Plugin interface: this protocol is gRPC only.
var errNetRPC = errors.New("ssr language plugins speak gRPC only")

// Server is part of go-plugin's net/rpc interface, which this protocol does not use.
func (p *GRPCPlugin) Server(*goplugin.MuxBroker) (any, error) { return nil, errNetRPC }

// Client is part of go-plugin's net/rpc interface, which this protocol does not use.
func (p *GRPCPlugin) Client(*goplugin.MuxBroker, *rpc.Client) (any, error) { return nil, errNetRPC }

// pluginSet is what both sides hand to go-plugin.
func pluginSet(impl Language, recoverPanics bool, beforeCall func()) goplugin.PluginSet {
	return goplugin.PluginSet{PluginName: &GRPCPlugin{Impl: impl, RecoverPanics: recoverPanics, beforeCall: beforeCall}}
}
