package docker

import (
	"context"
	"errors"
	"io"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// missingImages is an image engine in which no image exists and nothing can be imported; it lets the
// host checks of EnsureBase run without an engine.
type missingImages struct{}

func (missingImages) ImageInspect(context.Context, string, ...client.ImageInspectOption) (image.InspectResponse, error) {
	return image.InspectResponse{}, errdefs.NotFound(errors.New("no such image"))
}

func (missingImages) ImageImport(context.Context, image.ImportSource, string, image.ImportOptions) (io.ReadCloser, error) {
	return nil, errors.New("import not expected")
}
