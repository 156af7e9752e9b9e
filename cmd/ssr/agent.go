package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/llm"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/arena"
)

// newAgent is the agent a job config names; the arena knows none of them. One agent plays every episode
// of the job: for the LLM agent that makes its concurrency limit the job's limit on model calls in flight
// (the container budget stays the limit on sandboxes). The native agent scores with sc (nil: uniformly).
func newAgent(cfg *arena.JobConfig, sc native.Scorer) (agent.Agent, error) {
	switch cfg.Agent {
	case "", arena.AgentNative:
		return native.New(sc, cfg.Seed), nil
	case arena.AgentLLM:
		c, err := llmConfig(cfg)
		if err != nil {
			return nil, err
		}
		return llm.New(c)
	}
	return nil, fmt.Errorf("agent %q is not available: use native or llm", cfg.Agent)
}

var yamlLine = regexp.MustCompile(`^line \d+: `)

// llmConfig decodes the job config's llm section, unknown fields being errors as everywhere in the file.
func llmConfig(cfg *arena.JobConfig) (llm.Config, error) {
	var c llm.Config
	if cfg.LLM.IsZero() {
		return c, errors.New("agent llm needs an llm section with at least base_url and model (see docs/llm.md)")
	}
	raw, err := yaml.Marshal(&cfg.LLM)
	if err != nil {
		return c, fmt.Errorf("llm: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		msg := err.Error()
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// One line; the line numbers are those of the re-encoded section, not of the file: leave them out.
			for i, e := range te.Errors {
				te.Errors[i] = yamlLine.ReplaceAllString(e, "")
			}
			msg = strings.Join(te.Errors, "; ")
		}
		return c, fmt.Errorf("llm section: %s (see docs/llm.md for its fields)", msg)
	}
	return c, nil
}
