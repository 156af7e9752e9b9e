// Package arena runs the self-play protocol of DESIGN.md: injector episodes produce artifacts, validation
// (steps 1–6) turns them into bugs with F2P and P2P lists, solver attempts run in sandboxes prepared from the
// bug, evaluation scores each prediction in a fresh sandbox, rewards come from package rewards, failed
// attempts become order-2 bugs, and a Job drives it all for as long as its limits allow, recording every
// finished unit of work in the store so that it can resume after a crash.
//
// Start with Repo (repo.go) and the overlay of diffs on a repository (overlay.go), then runTests
// (testrun.go), Validate (validate.go), the solver attempt and its evaluation (attempt.go, evaluate.go), the
// native injector (inject.go) and the Job (job.go).
package arena
