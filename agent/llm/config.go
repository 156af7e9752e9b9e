package llm

import (
	"fmt"
	"net/url"
	"time"

	"github.com/selfplay-swe/ssr/agent"
)

// Tool formats.
const (
	// FormatNative declares the tools as JSON-schema functions and reads the reply's tool_calls. The server
	// must parse tool calls (vLLM --enable-auto-tool-choice, llama.cpp --jinja, …).
	FormatNative = "native"
	// FormatText describes a plain-text syntax in the system prompt and parses <tool: NAME>…</tool> blocks
	// from the reply: for base models and servers without a tool-call parser.
	FormatText = "text"
)

// Config is the LLM agent's configuration: the `llm:` section of a job config. Pointer fields tell "unset"
// (the default applies) from an explicit zero, which means zero.
type Config struct {
	// BaseURL is the OpenAI-compatible API root, e.g. http://localhost:8000/v1 (required).
	BaseURL string `yaml:"base_url" json:"base_url"`
	// Model is the model name sent with every request (required).
	Model string `yaml:"model" json:"model"`
	// APIKey is sent as a bearer token. Prefer APIKeyEnv, which names an environment variable holding it.
	// Local servers usually need neither.
	APIKey    string `yaml:"api_key,omitempty" json:"api_key,omitempty"`
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`

	// Sampling per role.
	Injector Sampling `yaml:"injector,omitempty" json:"injector,omitempty"`
	Solver   Sampling `yaml:"solver,omitempty" json:"solver,omitempty"`

	// RequestTimeout bounds one request, reply included (default 5m; 0: no limit but the episode's).
	RequestTimeout *time.Duration `yaml:"request_timeout,omitempty" json:"request_timeout,omitempty"`
	// MaxRetries is how many times a failed request is retried (default 5; 0: never).
	MaxRetries *int `yaml:"max_retries,omitempty" json:"max_retries,omitempty"`
	// RetryDelay is the first backoff; it doubles per retry up to RetryMaxDelay (defaults 1s and 1m). A
	// Retry-After header, when sent, decides the wait instead (up to 10 minutes).
	RetryDelay    *time.Duration `yaml:"retry_delay,omitempty" json:"retry_delay,omitempty"`
	RetryMaxDelay *time.Duration `yaml:"retry_max_delay,omitempty" json:"retry_max_delay,omitempty"`
	// Concurrency caps this agent's model calls in flight, across all its episodes (default 8).
	Concurrency *int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// ContextWindow is the served model's window in tokens (default 32768; 0: never shorten).
	ContextWindow *int `yaml:"context_window,omitempty" json:"context_window,omitempty"`
	// ToolFormat is native or text (default native).
	ToolFormat string `yaml:"tool_format,omitempty" json:"tool_format,omitempty"`
	// LogProbs asks for the sampled tokens' log-probabilities and records them.
	LogProbs bool `yaml:"logprobs,omitempty" json:"logprobs,omitempty"`
	// PolicyVersion is recorded with every episode (0: unknown; the served model id is recorded anyway).
	PolicyVersion int64 `yaml:"policy_version,omitempty" json:"policy_version,omitempty"`
	// ExtraBody holds further request fields passed through as they are, for server-specific settings
	// (vLLM's top_k or chat_template_kwargs, say).
	ExtraBody map[string]any `yaml:"extra_body,omitempty" json:"extra_body,omitempty"`
}

// Sampling holds one role's sampling settings.
type Sampling struct {
	Temperature *float64 `yaml:"temperature,omitempty" json:"temperature,omitempty"` // default 1.0
	TopP        *float64 `yaml:"top_p,omitempty" json:"top_p,omitempty"`             // default 1.0
	// MaxTokens caps each reply (default 4096; 0: not sent, the server decides).
	MaxTokens *int `yaml:"max_tokens,omitempty" json:"max_tokens,omitempty"`
}

// The defaults table: every unset field takes its value from here.
var defaults = struct {
	Temperature, TopP         float64
	MaxTokens                 int
	RequestTimeout            time.Duration
	MaxRetries                int
	RetryDelay, RetryMaxDelay time.Duration
	Concurrency               int
	ContextWindow             int
	ToolFormat                string
}{
	Temperature:    1.0,
	TopP:           1.0,
	MaxTokens:      4096,
	RequestTimeout: 5 * time.Minute,
	MaxRetries:     5,
	RetryDelay:     time.Second,
	RetryMaxDelay:  time.Minute,
	Concurrency:    8,
	ContextWindow:  32768,
	ToolFormat:     FormatNative,
}

// maxRetryAfter caps the wait a server may ask for with Retry-After.
const maxRetryAfter = 10 * time.Minute

// WithDefaults returns a copy of c with every unset field filled from the defaults table.
func (c Config) WithDefaults() Config {
	c.Injector = c.Injector.withDefaults()
	c.Solver = c.Solver.withDefaults()
	setDefault(&c.RequestTimeout, defaults.RequestTimeout)
	setDefault(&c.MaxRetries, defaults.MaxRetries)
	setDefault(&c.RetryDelay, defaults.RetryDelay)
	setDefault(&c.RetryMaxDelay, defaults.RetryMaxDelay)
	setDefault(&c.Concurrency, defaults.Concurrency)
	setDefault(&c.ContextWindow, defaults.ContextWindow)
	if c.ToolFormat == "" {
		c.ToolFormat = defaults.ToolFormat
	}
	return c
}

func (s Sampling) withDefaults() Sampling {
	setDefault(&s.Temperature, defaults.Temperature)
	setDefault(&s.TopP, defaults.TopP)
	setDefault(&s.MaxTokens, defaults.MaxTokens)
	return s
}

func setDefault[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

// Validate reports the first field the agent cannot run with, naming it and what to do.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if c.BaseURL == "" {
		return bad("llm.base_url is empty: set the server's OpenAI-compatible root, e.g. http://localhost:8000/v1")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("llm.base_url %q is not an http(s) URL: write it as http://host:port/v1", c.BaseURL)
	}
	if c.Model == "" {
		return bad("llm.model is empty: set the model name the server serves (GET %s/models lists them)", c.BaseURL)
	}
	if c.APIKey != "" && c.APIKeyEnv != "" {
		return bad("llm.api_key and llm.api_key_env are both set: keep one (api_key_env names an environment variable)")
	}
	for _, r := range []struct {
		name string
		s    Sampling
	}{{"injector", c.Injector}, {"solver", c.Solver}} {
		if t := r.s.Temperature; t != nil && (*t < 0 || *t > 2) {
			return bad("llm.%s.temperature %g is outside [0, 2]", r.name, *t)
		}
		if p := r.s.TopP; p != nil && (*p <= 0 || *p > 1) {
			return bad("llm.%s.top_p %g is outside (0, 1]", r.name, *p)
		}
		if m := r.s.MaxTokens; m != nil && *m < 0 {
			return bad("llm.%s.max_tokens %d is negative (0 leaves it to the server)", r.name, *m)
		}
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{{"request_timeout", c.RequestTimeout}, {"retry_delay", c.RetryDelay}, {"retry_max_delay", c.RetryMaxDelay}} {
		if d.v != nil && *d.v < 0 {
			return bad("llm.%s %v is negative", d.name, *d.v)
		}
	}
	if c.MaxRetries != nil && *c.MaxRetries < 0 {
		return bad("llm.max_retries %d is negative (0: never retry)", *c.MaxRetries)
	}
	if c.Concurrency != nil && *c.Concurrency < 1 {
		return bad("llm.concurrency %d must be at least 1", *c.Concurrency)
	}
	if c.ContextWindow != nil && *c.ContextWindow < 0 {
		return bad("llm.context_window %d is negative (0: never shorten)", *c.ContextWindow)
	}
	switch c.ToolFormat {
	case "", FormatNative, FormatText:
	default:
		return bad("llm.tool_format %q is unknown: use native (the server parses tool calls) or text", c.ToolFormat)
	}
	if c.PolicyVersion < 0 {
		return bad("llm.policy_version %d is negative", c.PolicyVersion)
	}
	for k := range c.ExtraBody {
		switch k {
		case "model", "messages", "tools", "stream":
			return bad("llm.extra_body.%s would override what the agent sends: remove it", k)
		}
	}
	return nil
}

// sampling returns the role's settings, defaults applied.
func (c Config) sampling(role agent.Role) Sampling {
	if role == agent.Injector {
		return c.Injector.withDefaults()
	}
	return c.Solver.withDefaults()
}
