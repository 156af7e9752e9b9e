// Package sandbox is the backend-neutral vocabulary of ssr's sandboxes: what a sandbox is asked to run
// (Spec, Limits, ExecRequest), what it answers (ExecResult), and the small interfaces that the arena and the
// repo manager consume (Sandbox, Provider). Backends live elsewhere (package repos/docker for the Docker
// Engine; a Kubernetes backend later) and prove themselves with the conformance suite in sub-package
// sandboxtest, which any backend runs unchanged: sandboxtest.Run(t, provider, image).
//
// Start reading at sandbox.go (the interfaces), then spec.go (hardened defaults) and exec.go.
package sandbox
