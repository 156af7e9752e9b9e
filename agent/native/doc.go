// Package native is the structured-action agent: it plays both roles over the candidates that the arena
// builds from language plugins (Observation.Candidates) and the structured tools apply, run_tests, keep,
// revert and submit. Every choice among candidates is scored by the shared policy through Scorer, sampled
// from the softmax of the scores and recorded as an agent.Decision. With no trained weights (Uniform) every
// candidate is alike.
//
// The agent keeps no episode state: each Act derives where the episode stands from Observation.History.
// Start with native.go (Act), then inject.go and solve.go (the two roles' policies), rank.go (how the
// solver reads the failing output) and solver_features.go (what else the solver's policy sees of each
// candidate: frames of the failing output, the spec, the episode's earlier edits and what they did).
package native
