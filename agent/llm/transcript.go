package llm

import "github.com/selfplay-swe/ssr/agent"

// Transcript renders a recorded episode as the full chat: the system and task messages, then for every
// turn the assistant message (with its record: model, usage, latency, sampling, log-probabilities, retries,
// finish reason) and the tool or user message that answered it, as the agent sent them to the model. Tool
// outputs are whole here, even where a request shortened them to fit the context window.
//
// The system and task messages are those recorded with the first reply (Message.Extra); an episode recorded
// without them gets them rendered from task. The turns-left notes are rebuilt from the budget the task
// message states, assuming every turn used one (as the arena counts them for this agent).
func Transcript(task agent.Task, turns []agent.Turn) []agent.Message {
	text := textEpisode(turns)
	budget := 0
	msgs, err := head(task, turns, text, len(turns))
	if err == nil {
		budget = budgetOf(msgs[1].Content)
	} else {
		msgs = nil // no prompt for this task (a role or strategy this agent does not play): turns only
	}
	for i, t := range turns {
		left := 0
		if budget > 0 {
			left = budget - 1 - i
		}
		msgs = append(msgs, turnMessages(i, t, text, left, true)...)
	}
	return msgs
}

// textEpisode tells whether an episode was played in the text format: no reply in it made a native call,
// and some reply holds a text block.
func textEpisode(turns []agent.Turn) bool {
	blocks := false
	for _, t := range turns {
		m := t.Action.Message
		if m == nil {
			continue
		}
		if len(m.ToolCalls) > 0 {
			return false
		}
		if len(findTextCalls(m.Content)) > 0 {
			blocks = true
		}
	}
	return blocks
}
