package plugin

import (
	"os"
	"sync"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeOption configures Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	recoverPanics bool
	grpcOptions   []grpc.ServerOption
}

// WithoutPanicRecovery lets a panic in the Language crash the plugin process, as it would in plain Go.
// By default Serve turns a panic into an error for that one call (with the panic value and the top of the
// stack) and the plugin keeps serving.
func WithoutPanicRecovery() ServeOption {
	return func(c *serveConfig) { c.recoverPanics = false }
}

// WithGRPCServerOptions adds options to the plugin's gRPC server, for example a larger
// grpc.MaxRecvMsgSize for very large test outputs (the default limit is 4 MiB per message).
func WithGRPCServerOptions(opts ...grpc.ServerOption) ServeOption {
	return func(c *serveConfig) { c.grpcOptions = append(c.grpcOptions, opts...) }
}

// Serve runs impl as a language plugin and returns only when the host is done with it. A plugin program's
// main is one call:
//
//	func main() { plugin.Serve(myLanguage{}) }
//
// Run by hand (not by ssr), the program prints a line saying it is a plugin and exits with status 1.
func Serve(impl Language, opts ...ServeOption) {
	cfg := serveConfig{recoverPanics: true}
	for _, o := range opts {
		o(&cfg)
	}
	// go-plugin points os.Stderr at a pipe it forwards over gRPC, which loses the last lines of a plugin
	// that exits at once; the host reads the process's real stderr anyway, so write there directly.
	realStderr := os.Stderr
	var restore sync.Once
	beforeCall := func() { restore.Do(func() { os.Stderr = realStderr }) }
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         pluginSet(impl, cfg.recoverPanics, beforeCall),
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(o, append(cfg.grpcOptions, maxMessageOptions()...)...)...)
		},
	})
}

// maxMessageSize bounds one message in either direction; test outputs of large suites exceed gRPC's 4 MiB
// default.
const maxMessageSize = 64 << 20

func maxMessageOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize)}
}
