// Package arena runs the self-play protocol of DESIGN.md: injector episodes produce artifacts, validation
// (steps 1–6) turns them into bugs with F2P and P2P lists, solver attempts run in sandboxes prepared from the
// bug, evaluation scores each prediction in a fresh sandbox, rewards come from package rewards, failed
// attempts become order-2 bugs, and a Job drives it all for as long as its limits allow, recording every
// finished unit of work in the store so that it can resume after a crash.
//
// Every episode, for both roles and every agent, runs through one loop (episode.go): the arena hands an
// agent.Agent an observation, carries out the action it returns in the episode's sandbox (tools.go,
// workspace.go; candidates.go for structured agents), records the turn, and ends at submit or when turns or
// the wall clock run out. The arena knows the agent interface only; cmd/ssr wires a concrete agent in.
//
// Start with Repo (repo.go) and the overlay of diffs on a repository (overlay.go), then runTests
// (testrun.go) and the test boxes that make each test run one exec (testbox.go), Validate (validate.go), the episode loop (episode.go), the injector's episode and its
// artifact (inject.go, collect.go, history.go), the solver attempt and its evaluation (solve.go,
// evaluate.go) and the Job (job.go, with its own generator in jobgen.go).
package arena
