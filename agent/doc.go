// Package agent holds the agents that play ssr's two roles. The native agent (native.go) acts over
// structured candidates that the arena builds from language plugins — mutation sites × operators, code
// removal, reverting a past change for the injector; edits at sites for the solver — scoring each with the
// shared policy through the Scorer interface and sampling one. Agents return choices; the arena carries
// them out in sandboxes, so an agent never holds a container.
package agent
