package docker_test

import (
	"context"
	"testing"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/sandbox"
	"github.com/selfplay-swe/ssr/repos/sandbox/sandboxtest"
)

// TestConformance runs the backend-neutral sandbox suite against the Docker Engine.
func TestConformance(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	p, err := docker.New(cli)
	if err != nil {
		t.Fatal(err)
	}
	sandboxtest.Run(t, p, image, sandboxtest.WithTemplate(sandbox.Spec{Job: job, Role: "conformance"}))
}

// TestConformancePooled runs the suite with a warm pool, whose containers must behave like fresh ones.
func TestConformancePooled(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	p, err := docker.New(cli, docker.WithWarmPool(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	sandboxtest.Run(t, p, image, sandboxtest.WithTemplate(sandbox.Spec{Job: job, Role: "conformance"}))
}
