package llm

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"

	"github.com/selfplay-swe/ssr/agent"
)

// Agent plays either role through an OpenAI-compatible chat-completions endpoint. It is safe for concurrent
// use by many episodes; its model calls in flight never exceed Config.Concurrency.
type Agent struct {
	cfg    Config // defaults applied
	opts   options
	client openai.Client
	sem    chan struct{}
	jitter func(time.Duration) time.Duration
	tools  []openai.ChatCompletionToolUnionParam
	// toolChars is the size of the tool declarations, counted against the context window.
	toolChars int
}

var _ agent.Agent = (*Agent)(nil)

// New validates cfg and returns an agent for it. Nothing is sent until the first Act.
func New(cfg Config, opts ...Option) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	key := cfg.APIKey
	if cfg.APIKeyEnv != "" {
		v, ok := o.lookupEnv(cfg.APIKeyEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("%w: llm.api_key_env names %s, which is not set: export it (or drop api_key_env for a server without keys)", ErrConfig, cfg.APIKeyEnv)
		}
		key = v
	}
	cfg = cfg.WithDefaults()
	a := &Agent{
		cfg:    cfg,
		opts:   o,
		client: newClient(cfg, key, o.httpClient),
		sem:    make(chan struct{}, *cfg.Concurrency),
		jitter: halfJitter,
	}
	if cfg.ToolFormat == FormatNative {
		a.tools = nativeTools()
		b, _ := json.Marshal(a.tools)
		a.toolChars = len(b)
	}
	return a, nil
}

// Name names the agent in episodes: "llm".
func (a *Agent) Name() string { return "llm" }

// PolicyVersion is the configured policy version (0: unknown; every reply records the served model id).
func (a *Agent) PolicyVersion() int64 { return a.cfg.PolicyVersion }

// Config is the agent's configuration, defaults applied.
func (a *Agent) Config() Config { return a.cfg }

// Act asks the model for the next action of the episode in obs.
func (a *Agent) Act(ctx context.Context, obs *agent.Observation) (agent.Action, error) {
	text := a.cfg.ToolFormat == FormatText
	n := len(obs.History)
	left := func(i int) int { return obs.TurnsLeft + n - 1 - i }
	msgs, err := conversation(obs.Task, obs.History, text, obs.TurnsLeft+n, left)
	if err != nil {
		return agent.Action{}, err
	}
	keepFrom := len(msgs) // the last turn's messages, from its assistant message on
	if n > 0 {
		for keepFrom > 2 && msgs[keepFrom-1].Role != roleAssistant {
			keepFrom--
		}
		keepFrom--
	}
	s := a.cfg.sampling(obs.Task.Role)
	shortened := fit(msgs, keepFrom, a.toolChars, promptLimit(*a.cfg.ContextWindow, *s.MaxTokens))

	params, opts := a.request(msgs, s, text)
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return agent.Action{}, fmt.Errorf("llm: %s: waiting for a free model slot: %w", a.cfg.BaseURL, context.Cause(ctx))
	}
	c, err := a.complete(ctx, params, opts)
	<-a.sem
	if err != nil {
		return agent.Action{}, err
	}

	act := a.read(c, s, text)
	act.Message.Truncated = shortened
	if n == 0 {
		act.Message.Extra = []*agent.Message{&msgs[0], &msgs[1]}
	}
	return act, nil
}

// request builds the chat-completions request.
func (a *Agent) request(msgs []agent.Message, s Sampling, text bool) (openai.ChatCompletionNewParams, []option.RequestOption) {
	p := openai.ChatCompletionNewParams{
		Model:       a.cfg.Model,
		Messages:    make([]openai.ChatCompletionMessageParamUnion, 0, len(msgs)),
		Temperature: param.NewOpt(*s.Temperature),
		TopP:        param.NewOpt(*s.TopP),
	}
	if *s.MaxTokens > 0 {
		p.MaxTokens = param.NewOpt(int64(*s.MaxTokens))
	}
	if a.cfg.LogProbs {
		p.Logprobs = param.NewOpt(true)
	}
	if text {
		p.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{textStop}}
	} else {
		p.Tools = a.tools
	}
	for _, m := range msgs {
		p.Messages = append(p.Messages, toParam(m))
	}
	var opts []option.RequestOption
	for k, v := range a.cfg.ExtraBody {
		opts = append(opts, option.WithJSONSet(k, v))
	}
	return p, opts
}

// toParam converts one message of ours to the client's request type.
func toParam(m agent.Message) openai.ChatCompletionMessageParamUnion {
	switch m.Role {
	case roleSystem:
		return openai.SystemMessage(m.Content)
	case roleTool:
		return openai.ToolMessage(m.Content, m.ToolCallID)
	case roleAssistant:
		var am openai.ChatCompletionAssistantMessageParam
		if m.Content != "" || len(m.ToolCalls) == 0 {
			am.Content.OfString = param.NewOpt(m.Content)
		}
		for _, tc := range m.ToolCalls {
			am.ToolCalls = append(am.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID:       tc.ID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: tc.Name, Arguments: tc.Arguments},
				},
			})
		}
		return openai.ChatCompletionMessageParamUnion{OfAssistant: &am}
	}
	return openai.UserMessage(m.Content)
}

// read turns the model's reply into an action carrying the reply as its Message.
func (a *Agent) read(c completion, s Sampling, text bool) agent.Action {
	ch := c.resp.Choices[0]
	msg := &agent.Message{
		Role:      roleAssistant,
		Content:   ch.Message.Content,
		Model:     cmp.Or(c.resp.Model, a.cfg.Model),
		LatencyMs: c.latency.Milliseconds(),
		Sampling:  &agent.Sampling{Temperature: *s.Temperature, TopP: *s.TopP, MaxTokens: *s.MaxTokens},
		Retries:   c.retries,
		Finish:    ch.FinishReason,
	}
	if u := c.resp.Usage; u.PromptTokens > 0 || u.CompletionTokens > 0 {
		msg.Usage = &agent.Usage{PromptTokens: int(u.PromptTokens), CompletionTokens: int(u.CompletionTokens)}
	}
	for _, lp := range ch.Logprobs.Content {
		msg.LogProbs = append(msg.LogProbs, agent.LogProb{Token: lp.Token, LogProb: lp.Logprob})
	}
	for i, tc := range ch.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			id = fmt.Sprintf("call_%d", i) // some servers leave ids out; the next request needs them
		}
		name := tc.Function.Name
		args := tc.Function.Arguments
		if tc.Type == "custom" {
			name, args = tc.Custom.Name, tc.Custom.Input
		}
		msg.ToolCalls = append(msg.ToolCalls, agent.ToolCall{ID: id, Name: name, Arguments: args})
	}

	var act agent.Action
	switch {
	case len(msg.ToolCalls) > 0:
		act = parseToolCall(msg.ToolCalls[0])
	default:
		if text && ch.FinishReason == "stop" && unclosed(msg.Content) {
			// The server stopped at the closing tag and left it out: it is part of what the model wrote.
			msg.Content += textStop
		}
		// In the native format too: a server without a tool parser returns the call as text.
		var blocks int
		act, blocks = parseText(msg.Content)
		if blocks == 0 && !text {
			act.Invalid = "no tool call: call exactly one of the tools (" + toolNames + ")"
			if strings.TrimSpace(msg.Content) == "" {
				act.Invalid = "empty reply: call exactly one of the tools (" + toolNames + ")"
			}
		}
	}
	if act.Invalid != "" && ch.FinishReason == "length" {
		act.Invalid += fmt.Sprintf(" (the reply was cut off at max_tokens = %d: be shorter)", *s.MaxTokens)
	}
	act.Message = msg
	return act
}

// unclosed reports whether s ends inside a text-format tool block.
func unclosed(s string) bool {
	calls := findTextCalls(s)
	return len(calls) > 0 && !calls[len(calls)-1].closed
}
