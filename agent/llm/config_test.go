package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/selfplay-swe/ssr/agent"
)

func TestValidate(t *testing.T) {
	ok := Config{BaseURL: "http://localhost:8000/v1", Model: "qwen"}
	cases := map[string]struct {
		edit func(*Config)
		want string // in the error; empty: valid
	}{
		"minimal":              {func(*Config) {}, ""},
		"zeros are values":     {func(c *Config) { c.MaxRetries, c.ContextWindow, c.Solver.Temperature = ptr(0), ptr(0), ptr(0.0) }, ""},
		"no base url":          {func(c *Config) { c.BaseURL = "" }, "base_url is empty"},
		"base url not http":    {func(c *Config) { c.BaseURL = "localhost:8000" }, "not an http(s) URL"},
		"no model":             {func(c *Config) { c.Model = "" }, "llm.model is empty"},
		"both keys":            {func(c *Config) { c.APIKey, c.APIKeyEnv = "k", "K" }, "both set"},
		"temperature too high": {func(c *Config) { c.Injector.Temperature = ptr(2.5) }, "llm.injector.temperature"},
		"top_p zero":           {func(c *Config) { c.Solver.TopP = ptr(0.0) }, "llm.solver.top_p"},
		"negative max tokens":  {func(c *Config) { c.Solver.MaxTokens = ptr(-1) }, "max_tokens"},
		"negative timeout":     {func(c *Config) { c.RequestTimeout = ptr(-time.Second) }, "request_timeout"},
		"negative retries":     {func(c *Config) { c.MaxRetries = ptr(-1) }, "max_retries"},
		"zero concurrency":     {func(c *Config) { c.Concurrency = ptr(0) }, "concurrency 0"},
		"negative window":      {func(c *Config) { c.ContextWindow = ptr(-5) }, "context_window"},
		"unknown tool format":  {func(c *Config) { c.ToolFormat = "xml" }, `tool_format "xml"`},
		"negative policy":      {func(c *Config) { c.PolicyVersion = -1 }, "policy_version"},
		"extra body override":  {func(c *Config) { c.ExtraBody = map[string]any{"messages": 1} }, "extra_body.messages"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, tc.want)
			}
			if _, nerr := New(c); nerr == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

func TestWithDefaultsKeepsExplicitZeros(t *testing.T) {
	c := Config{BaseURL: "http://x/v1", Model: "m", MaxRetries: ptr(0), ContextWindow: ptr(0), RequestTimeout: ptr(time.Duration(0)),
		Solver: Sampling{Temperature: ptr(0.0), MaxTokens: ptr(0)}}.WithDefaults()
	if *c.MaxRetries != 0 || *c.ContextWindow != 0 || *c.RequestTimeout != 0 || *c.Solver.Temperature != 0 || *c.Solver.MaxTokens != 0 {
		t.Fatalf("explicit zeros changed: %+v", c)
	}
	if *c.Solver.TopP != defaults.TopP || *c.Injector.Temperature != defaults.Temperature || *c.Injector.MaxTokens != defaults.MaxTokens ||
		*c.Concurrency != defaults.Concurrency || *c.RetryDelay != defaults.RetryDelay || c.ToolFormat != FormatNative {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if s := c.sampling(agent.Injector); *s.Temperature != defaults.Temperature {
		t.Fatal("injector sampling")
	}
}

// TestDocsSampleConfig decodes the job config sample of docs/llm.md, strictly, and checks its values are the
// defaults it claims they are.
func TestDocsSampleConfig(t *testing.T) {
	doc, err := os.ReadFile("../../docs/llm.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok || block == "" {
		t.Fatal("docs/llm.md has no yaml block")
	}
	var job struct {
		LLM  Config         `yaml:"llm"`
		Rest map[string]any `yaml:",inline"`
	}
	dec := yaml.NewDecoder(strings.NewReader(block))
	dec.KnownFields(true)
	if err := dec.Decode(&job); err != nil {
		t.Fatalf("docs/llm.md sample: %v", err)
	}
	if err := job.LLM.Validate(); err != nil {
		t.Fatal(err)
	}
	c, d := job.LLM, Config{}.WithDefaults()
	if *c.RequestTimeout != *d.RequestTimeout || *c.MaxRetries != *d.MaxRetries || *c.RetryDelay != *d.RetryDelay ||
		*c.RetryMaxDelay != *d.RetryMaxDelay || *c.Concurrency != *d.Concurrency || *c.ContextWindow != *d.ContextWindow ||
		c.ToolFormat != d.ToolFormat || *c.Solver.Temperature != *d.Solver.Temperature || *c.Injector.MaxTokens != *d.Injector.MaxTokens ||
		*c.Solver.TopP != *d.Solver.TopP {
		t.Fatalf("the sample's values are not the defaults it says they are: %+v", c)
	}
}

// TestConfigDecodes reads a config with explicit zeros in YAML, and the same in JSON.
func TestConfigDecodes(t *testing.T) {
	const y = `
base_url: http://localhost:8000/v1
model: Qwen/Qwen3-Coder-30B-A3B-Instruct
api_key_env: VLLM_API_KEY
injector: {temperature: 1.0, top_p: 0.95, max_tokens: 4096}
solver: {temperature: 0, max_tokens: 2048}
request_timeout: 10m
max_retries: 0
concurrency: 32
context_window: 65536
tool_format: text
logprobs: true
policy_version: 3
extra_body: {top_k: 20}
`
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(y))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if *c.RequestTimeout != 10*time.Minute || *c.MaxRetries != 0 || *c.Solver.Temperature != 0 || c.Solver.TopP != nil ||
		*c.Concurrency != 32 || c.ToolFormat != FormatText || !c.LogProbs || c.PolicyVersion != 3 || c.ExtraBody["top_k"] != 20 {
		t.Fatalf("decoded %+v", c)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	jd := json.NewDecoder(bytes.NewReader(b))
	jd.DisallowUnknownFields()
	if err := jd.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if *back.RequestTimeout != *c.RequestTimeout || *back.MaxRetries != 0 || *back.Solver.Temperature != 0 {
		t.Fatalf("JSON round trip: %+v", back)
	}
}

func TestPolicyVersionAndName(t *testing.T) {
	a, err := New(Config{BaseURL: "http://localhost:1/v1", Model: "m", PolicyVersion: 12})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() != "llm" || a.PolicyVersion() != 12 {
		t.Fatalf("%s %d", a.Name(), a.PolicyVersion())
	}
}
