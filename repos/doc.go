// Package repos turns codebases into sandboxes: manifests, cloning, repo images, baselines, the sandbox
// interface and its Docker backend (sub-packages sandbox and docker), and the language-plugin protocol
// (sub-package plugin).
package repos
