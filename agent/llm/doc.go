// Package llm is the agent that plays both roles with a language model behind an OpenAI-compatible
// chat-completions endpoint (vLLM, SGLang, llama.cpp's server, Ollama, hosted APIs).
//
// Start with agent.go: New builds an Agent from a Config (config.go, one defaults table), and Act turns one
// agent.Observation into one agent.Action. The agent keeps no state between calls: every call rebuilds the
// conversation from the task and the turns so far (conversation.go), shortens old tool outputs when it nears
// the model's context window (budget.go), asks the model (client.go: its own retries with backoff that honour
// Retry-After, so that retries are counted and testable) and reads one tool call from the reply, either the
// endpoint's native function calls (tools.go) or the plain-text <tool: NAME>…</tool> format (textformat.go)
// for base models and servers without a tool parser. Prompts are embedded templates under prompts/
// (prompts.go). Transcript (transcript.go) renders a recorded episode as the full chat for export.
//
// A reply that is not one carried-out tool call (no call, an unknown tool, malformed arguments) becomes an
// Action whose Invalid says why; Act's error is kept for failures outside the protocol: an endpoint that
// stays unreachable after the retries, a refused key, a request the server rejects.
package llm
