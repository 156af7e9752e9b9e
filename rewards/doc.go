// Package rewards holds ssr's reward functions and group-relative advantage normalisation: pure functions,
// no I/O. Start with Solver and Injector.
package rewards
