// Package sandboxtest is the conformance suite of the sandbox interface. Every backend runs it unchanged
// against an image that has /bin/sh, coreutils, grep, git and the /proc filesystem:
//
//	func TestConformance(t *testing.T) { sandboxtest.Run(t, provider, image) }
//
// It checks process control (exit codes, stdin, env, user, timeouts that kill the whole process tree,
// cancellation), output caps, file transfer, the hardening (no network, no capabilities, no new privileges,
// pids and memory limits), diff and reset against the starting commit, commit to an image, concurrency,
// and Close.
package sandboxtest
