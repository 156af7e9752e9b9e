package arena

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// JobConfig is a job's YAML configuration.
type JobConfig struct {
	Name string `yaml:"name" json:"name"`
	// Manifest is a repos manifest file; a relative path is relative to the job config file's directory
	// (LoadJobConfig makes it absolute, so that the copy stored for --resume finds it from anywhere).
	Manifest   string             `yaml:"manifest,omitempty" json:"manifest,omitempty"`
	Examples   []string           `yaml:"examples,omitempty" json:"examples,omitempty"` // built-in example repositories
	Repos      []string           `yaml:"repos,omitempty" json:"repos,omitempty"`       // only these manifest entries (all when absent)
	Agent      string             `yaml:"agent" json:"agent"`                           // native (default) or llm
	Seed       uint64             `yaml:"seed" json:"seed"`
	Strategies map[string]float64 `yaml:"strategies" json:"strategies"` // injector strategy → share; absent: the agent's default mix
	Limits     Limits             `yaml:"limits" json:"limits"`
	Arena      Config             `yaml:"arena" json:"arena"` // decoded onto DefaultConfig: absent fields keep the default
	// LLM is the `llm:` section (agent: llm), kept as raw YAML: cmd/ssr decodes it into agent/llm's Config,
	// so that the arena knows no concrete agent while a job's one config file (and the copy stored for
	// --resume) still holds it. See docs/llm.md.
	LLM yaml.Node `yaml:"llm,omitempty" json:"-"`
}

// Agents a job config may name.
const (
	AgentNative = "native" // structured actions scored by the shared policy (agent/native)
	AgentLLM    = "llm"    // a model behind an OpenAI-compatible endpoint (agent/llm)
)

// strategyAgents says which agents play each injector strategy: mutation acts over plugin mutation sites
// (structured only), direct needs an agent that writes code, removal and history are played by both.
var strategyAgents = map[string][]string{
	StrategyMutation: {AgentNative},
	StrategyDirect:   {AgentLLM},
	StrategyRemoval:  {AgentNative, AgentLLM},
	StrategyHistory:  {AgentNative, AgentLLM},
}

// DefaultStrategies is the strategy mix a job gets when its config sets none.
func DefaultStrategies(agentName string) map[string]float64 {
	if agentName == AgentLLM {
		return map[string]float64{StrategyDirect: 0.5, StrategyRemoval: 0.25, StrategyHistory: 0.25}
	}
	return map[string]float64{StrategyMutation: 0.6, StrategyRemoval: 0.2, StrategyHistory: 0.2}
}

// StrategyShares is the job's strategy mix: the config's, or the agent's default when it sets none.
func (c *JobConfig) StrategyShares() map[string]float64 {
	if c.Strategies != nil {
		return c.Strategies
	}
	return DefaultStrategies(c.agent())
}

// effective fills what the config leaves to a default outside the arena section (the agent, its strategy
// mix), so that the config stored with a job, and shown by `ssr jobs show`, is the one it runs with.
func (c *JobConfig) effective() {
	c.Agent = c.agent()
	c.Strategies = c.StrategyShares()
}

func (c *JobConfig) agent() string {
	if c.Agent == "" {
		return AgentNative
	}
	return c.Agent
}

// DefaultJobConfig is the short job `ssr run` runs with no arguments: every built-in example, the native
// agent, a few bugs.
func DefaultJobConfig(examples []string) JobConfig {
	a := DefaultConfig()
	a.NAttempts, a.SolverTime = 4, 2*time.Minute
	return JobConfig{
		Name:       "demo",
		Examples:   examples,
		Agent:      AgentNative,
		Seed:       32, // a seed whose first draws give both examples a bug and an order-2 bug (seen: 4 bugs, 1 order-2)
		Strategies: DefaultStrategies(AgentNative),
		Limits:     Limits{Bugs: 4, Proposed: 10, WallTime: 20 * time.Minute},
		Arena:      a,
	}
}

// ParseJobConfig reads a job config; name is used in errors. Unknown fields are errors. A field present in
// data means its value, zero included; an absent one takes its default (DefaultConfig, DefaultStrategies),
// and the config returned holds the effective values.
func ParseJobConfig(name string, data []byte) (*JobConfig, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := JobConfig{Arena: DefaultConfig()}
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the job config is empty: give at least examples or a manifest, and limits", name)
		}
		return nil, yamlError(name, data, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.effective()
	return &c, nil
}

// LoadJobConfig reads a job config file. Its manifest, when relative, is taken from the file's directory.
func LoadJobConfig(path string) (*JobConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("job config: %w", err)
	}
	c, err := ParseJobConfig(path, data)
	if err != nil {
		return nil, err
	}
	if c.Manifest != "" && !filepath.IsAbs(c.Manifest) {
		if c.Manifest, err = filepath.Abs(filepath.Join(filepath.Dir(path), c.Manifest)); err != nil {
			return nil, fmt.Errorf("%s: manifest: %w", path, err)
		}
	}
	return c, nil
}

// Validate reports the first field a job cannot run with.
func (c *JobConfig) Validate() error {
	if c.Manifest == "" && len(c.Examples) == 0 {
		return errors.New("no repositories: set manifest (a repos manifest file) or examples (built-in example names)")
	}
	ag := c.agent()
	switch ag {
	case AgentNative:
		if !c.LLM.IsZero() {
			return errors.New("llm: the section is set but the agent is native: set agent: llm, or remove the llm section")
		}
	case AgentLLM:
		if c.LLM.IsZero() {
			return errors.New("agent llm needs an llm section with at least base_url and model (see docs/llm.md)")
		}
		if c.LLM.Kind != yaml.MappingNode {
			return errors.New("llm: the section must be a mapping (base_url: ..., model: ...; see docs/llm.md)")
		}
	default:
		return fmt.Errorf("agent %q is not available: use native or llm", c.Agent)
	}
	for s, w := range c.Strategies {
		agents, ok := strategyAgents[s]
		if !ok {
			return fmt.Errorf("strategies: unknown strategy %q (use direct, removal, history or mutation)", s)
		}
		if w < 0 {
			return fmt.Errorf("strategies.%s: share %v is negative", s, w)
		}
		if w > 0 && !slices.Contains(agents, ag) {
			return fmt.Errorf("strategies.%s: the %s agent does not play it (direct: llm only; removal, history: both; mutation: native only)", s, ag)
		}
	}
	if c.Limits == (Limits{}) {
		return errors.New("limits: set at least one of bugs, attempts, proposed or wall_time, or the job never ends")
	}
	if c.Strategies != nil && len(c.Strategies) == 0 {
		return errors.New("strategies: the mapping is empty: give each strategy its share, or leave strategies out for the agent's default mix")
	}
	if c.Limits.Bugs < 0 || c.Limits.Attempts < 0 || c.Limits.Proposed < 0 || c.Limits.WallTime < 0 {
		return errors.New("limits: values must not be negative")
	}
	return c.validateValues()
}

// YAML renders the config (stored with the job so that --resume needs no file).
func (c JobConfig) YAML() string {
	out, _ := yaml.Marshal(c)
	return string(out)
}
