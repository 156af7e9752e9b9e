package llm

import (
	"fmt"
	"unicode/utf8"

	"github.com/selfplay-swe/ssr/agent"
)

// Token estimates: four characters a token, a few tokens of framing per message. Rough, and meant to err
// on the large side together with the margin kept free below the window.
const (
	charsPerToken   = 4
	perMessageToks  = 4
	shortenKeep     = 400 // characters kept at each end of a shortened message
	windowMarginDiv = 20  // 5% of the window stays free for the estimate's error
)

// estimateTokens estimates the prompt size of msgs plus extra characters (the tool declarations).
func estimateTokens(msgs []agent.Message, extraChars int) int {
	chars := extraChars
	for _, m := range msgs {
		chars += len(m.Content)
		for _, tc := range m.ToolCalls {
			chars += len(tc.Name) + len(tc.Arguments) + len(tc.ID)
		}
	}
	return chars/charsPerToken + perMessageToks*len(msgs)
}

// promptLimit is how many prompt tokens fit a window that must also hold a reply of maxTokens (0 when the
// window is not managed).
func promptLimit(window, maxTokens int) int {
	if window <= 0 {
		return 0
	}
	return window - maxTokens - window/windowMarginDiv
}

// fit shortens msgs in place until their estimate is within limit: first the tool outputs, oldest first,
// then the assistant's old prose, each down to its head and tail around a marker. The system and task
// messages (the first two) and everything from index keepFrom on (the last turn) are never touched. It
// reports whether it shortened anything; the result may still be over the limit when nothing else can go.
func fit(msgs []agent.Message, keepFrom, extraChars, limit int) bool {
	if limit <= 0 || estimateTokens(msgs, extraChars) <= limit {
		return false
	}
	shortened := false
	for _, pass := range []func(agent.Message) bool{
		func(m agent.Message) bool { return m.Role == roleTool || m.Role == roleUser },
		func(m agent.Message) bool { return m.Role == roleAssistant },
	} {
		for i := 2; i < keepFrom && i < len(msgs); i++ {
			if !pass(msgs[i]) {
				continue
			}
			if s, ok := shorten(msgs[i].Content, shortenKeep); ok {
				msgs[i].Content = s
				shortened = true
				if estimateTokens(msgs, extraChars) <= limit {
					return true
				}
			}
		}
	}
	return shortened
}

// shorten keeps keep characters at each end of s around a marker saying how much went; ok is false when s
// is too short to gain anything.
func shorten(s string, keep int) (string, bool) {
	marker := "\n[… %d characters left out to fit the context window …]\n"
	if len(s) <= 2*keep+len(marker)+10 {
		return s, false
	}
	h := keep
	for h > 0 && !utf8.RuneStart(s[h]) {
		h--
	}
	t := len(s) - keep
	for t < len(s) && !utf8.RuneStart(s[t]) {
		t++
	}
	return s[:h] + fmt.Sprintf(marker, t-h) + s[t:], true
}
