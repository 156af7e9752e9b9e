package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/client"
)

// ErrEngineUnreachable is wrapped by every error that means the Docker Engine did not answer.
var ErrEngineUnreachable = errors.New("docker engine unreachable")

// UnreachableError says which engine address was tried and why it failed.
type UnreachableError struct {
	Host string // the daemon address tried, e.g. unix:///var/run/docker.sock
	Err  error  // the cause
}

func (e *UnreachableError) Error() string {
	cause := e.Err.Error()
	if client.IsErrConnectionFailed(e.Err) {
		cause = "cannot connect" // the client's own text repeats the address and the question below
	}
	return fmt.Sprintf("Docker Engine not reachable at %s: %s; is the Docker Engine running? set DOCKER_HOST to its socket", e.Host, cause)
}

func (e *UnreachableError) Unwrap() []error { return []error{ErrEngineUnreachable, e.Err} }

// pingTimeout bounds how long Connect waits for the engine's first answer.
const pingTimeout = 10 * time.Second

// Connect returns an engine client configured from the environment (DOCKER_HOST, DOCKER_API_VERSION,
// DOCKER_CERT_PATH, ...) with API version negotiation, after checking that the engine answers. The caller
// closes the client.
func Connect(ctx context.Context) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client from environment: %w (check DOCKER_HOST and DOCKER_CERT_PATH)", err)
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		host := cli.DaemonHost()
		cli.Close()
		return nil, &UnreachableError{Host: host, Err: err}
	}
	// Ping negotiated the version already; make sure later calls use it even when Ping's answer lacked it.
	cli.NegotiateAPIVersion(ctx)
	return cli, nil
}
