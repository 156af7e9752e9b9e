// Package repos turns codebases into sandboxes: manifests, cloning, repo images, baselines, the sandbox
// interface and its Docker backend (sub-packages sandbox and docker), and the language-plugin protocol
// (sub-package plugin). The built-in example repositories live in sub-package examples.
//
// Where to start reading:
//
//   - manifest.go: LoadManifest / ParseManifest read the YAML manifest (a Repo per entry, errors with
//     file:line and field); AddRepo appends an entry.
//   - clone.go: Clone makes a Source's code a git work tree in the cache directory (git URLs and local
//     repositories with full history, plain directories as a one-commit snapshot, built-in examples) and
//     returns a Checkout.
//   - image.go: a Builder builds one image per repo (base image ∪ plugin and manifest packages, the checkout at
//     /repo, setup steps) and reuses it while its inputs are unchanged.
//   - baseline.go: Builder.Baseline runs the repo's tests on its image several times and records each test's
//     status, duration and flakiness, cached per image, script and parser.
package repos
