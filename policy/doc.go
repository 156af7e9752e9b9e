// Package policy is the shared policy of both roles: a small network over featurised candidates (Model,
// which implements native.Scorer), its trainer (Trainer: group-relative advantages, a clipped
// policy-gradient objective with importance ratios against the stored behaviour log-probabilities, an
// entropy bonus, gradient clipping, Adam), and safetensors checkpoints that resume exactly.
//
// Start with features.go (what a candidate's row holds) and model.go (the network and Score), then
// train.go (Round: what a version is trained on), objective.go (the loss), graph.go (gorgonia's part: the
// weights' gradient) and checkpoint.go. The trainer reads episodes only through Source, which cmd/ssr
// implements over the job's store. docs/policy.md has the picture and the numbers.
package policy
