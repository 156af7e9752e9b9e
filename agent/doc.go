// Package agent is the seam between the arena and whatever plays its two roles: the episode vocabulary
// (episode.go: Agent, Task, Observation, Action, Result, Turn, Decision) and the candidates a structured
// agent chooses among (candidate.go). The arena runs every episode the same way and carries out every
// action in a sandbox, so an agent never holds a container. Concrete agents live below: agent/native (the
// structured agent scored by the shared policy) and agent/llm (a model behind an OpenAI-compatible endpoint).
package agent
