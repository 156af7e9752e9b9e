package arena

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/rewards"
)

func TestParseJobConfig(t *testing.T) {
	c, err := ParseJobConfig("job.yaml", []byte(`
name: nightly
examples: [pyledger]
strategies: {mutation: 1, history: 0.5}
limits: {bugs: 3, wall_time: 90m}
arena: {n_attempts: 4, flake_runs: 3, test_timeout: 2m}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.WallTime != 90*time.Minute || c.Arena.NAttempts != 4 || c.Arena.TestTimeout != 2*time.Minute || c.Strategies["history"] != 0.5 {
		t.Fatalf("parsed %+v", c)
	}
	again, err := ParseJobConfig("again", []byte(c.YAML()))
	if err != nil {
		t.Fatalf("re-parse own YAML: %v", err)
	}
	if again.Limits != c.Limits || again.Arena != c.Arena {
		t.Fatalf("round trip changed the config: %+v vs %+v", again, c)
	}
}

func TestParseJobConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"empty":         {"", "the job config is empty"},
		"no repos":      {"limits: {bugs: 1}", "no repositories"},
		"no limits":     {"examples: [x]", "limits: set at least one"},
		"unknown field": {"examples: [x]\nlimits: {bugs: 1}\nattempts: 3", `unknown field "attempts"`},
		"bad strategy":  {"examples: [x]\nlimits: {bugs: 1}\nstrategies: {guess: 1}", `unknown strategy "guess"`},
		"bad agent":     {"examples: [x]\nlimits: {bugs: 1}\nagent: gpt", `agent "gpt" is not available: use native or llm`},
		"direct needs llm": {"examples: [x]\nlimits: {bugs: 1}\nstrategies: {direct: 1}",
			"strategies.direct: the native agent does not play it (direct: llm only"},
		"mutation needs native": {"examples: [x]\nlimits: {bugs: 1}\nagent: llm\nllm: {base_url: http://h/v1, model: m}\nstrategies: {mutation: 1}",
			"strategies.mutation: the llm agent does not play it"},
		"llm without section":    {"examples: [x]\nlimits: {bugs: 1}\nagent: llm", "agent llm needs an llm section"},
		"llm section not a map":  {"examples: [x]\nlimits: {bugs: 1}\nagent: llm\nllm: yes", "llm: the section must be a mapping"},
		"llm section for native": {"examples: [x]\nlimits: {bugs: 1}\nllm: {model: m}", "llm: the section is set but the agent is native"},
		"negative turns":         {"examples: [x]\nlimits: {bugs: 1}\narena: {solver_max_turns: -1}", "arena.solver_max_turns: -1 is negative"},
		"bad alpha":              {"examples: [x]\nlimits: {bugs: 1}\narena: {alpha: 2}", "arena.alpha"},
		"not yaml":               {"examples: [x\n", "job.yaml"},
		"negative limit":         {"examples: [x]\nlimits: {bugs: -1}", "must not be negative"},
		"bad duration":           {"examples: [x]\nlimits: {wall_time: soon}", "job.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseJobConfig("job.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "job.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestJobConfigLLM: the llm section stays raw YAML in the arena (cmd/ssr decodes it), survives the round
// trip through the copy stored for --resume, and the LLM agent's default strategy mix is direct, removal
// and history.
func TestJobConfigLLM(t *testing.T) {
	c, err := ParseJobConfig("job.yaml", []byte(`
examples: [pyledger]
agent: llm
llm:
  base_url: http://localhost:8000/v1
  model: qwen
  solver: {temperature: 0}
limits: {bugs: 1}
arena: {injector_max_turns: 12, solver_max_turns: 8, injector_time: 10m}
`))
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseJobConfig("again", []byte(c.YAML()))
	if err != nil {
		t.Fatalf("re-parse own YAML: %v\n%s", err, c.YAML())
	}
	var sec struct {
		BaseURL string `yaml:"base_url"`
		Model   string `yaml:"model"`
		Solver  struct {
			Temperature *float64 `yaml:"temperature"`
		} `yaml:"solver"`
	}
	if err := again.LLM.Decode(&sec); err != nil {
		t.Fatal(err)
	}
	if sec.BaseURL != "http://localhost:8000/v1" || sec.Model != "qwen" || sec.Solver.Temperature == nil || *sec.Solver.Temperature != 0 {
		t.Fatalf("llm section after the round trip: %+v", sec)
	}
	a := again.Arena
	if a.InjectorMaxTurns != 12 || a.SolverMaxTurns != 8 || a.InjectorTime != 10*time.Minute {
		t.Fatalf("budgets %+v", a)
	}
	shares := again.StrategyShares()
	if len(shares) != 3 || shares[StrategyDirect] == 0 || shares[StrategyRemoval] == 0 || shares[StrategyHistory] == 0 {
		t.Fatalf("default llm strategies %v", shares)
	}
	if n := (&JobConfig{}).StrategyShares(); n[StrategyMutation] == 0 || n[StrategyDirect] != 0 {
		t.Fatalf("default native strategies %v", n)
	}
}

func FuzzParseJobConfig(f *testing.F) {
	f.Add([]byte("examples: [a]\nlimits: {bugs: 1}\n"))
	f.Add([]byte(DefaultJobConfig([]string{"pyledger", "gokit"}).YAML()))
	f.Add([]byte("arena: {alpha: 0.5}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseJobConfig("fuzz", data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz") || strings.Contains(msg, "arena.JobConfig") || strings.Contains(msg, "time.Duration") {
				t.Fatalf("error does not name the file, or names a Go type: %q", msg)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		if _, err := ParseJobConfig("again", []byte(c.YAML())); err != nil {
			t.Fatalf("own YAML does not parse: %v", err)
		}
	})
}

// TestJobConfigPresence: a setting present in a config means its value, zero included; an absent one takes
// the value of the defaults table; a zero with no meaning is an error, not a silent default.
func TestJobConfigPresence(t *testing.T) {
	const base = "examples: [pyledger]\nlimits: {bugs: 1}\n"
	def := DefaultConfig()
	for name, tc := range map[string]struct {
		arena   string
		got     func(Config) any
		want    any
		wantErr string
	}{
		"alpha 0":             {arena: "{alpha: 0}", got: func(c Config) any { return c.Alpha }, want: 0.0},
		"alpha absent":        {arena: "{}", got: func(c Config) any { return c.Alpha }, want: rewards.DefaultAlpha},
		"order2_share 0":      {arena: "{order2_share: 0}", got: func(c Config) any { return c.Order2Share }, want: 0.0},
		"order2_share absent": {arena: "{n_attempts: 3}", got: func(c Config) any { return c.Order2Share }, want: def.Order2Share},
		"warm_pool 0":         {arena: "{warm_pool: 0}", got: func(c Config) any { return c.WarmPool }, want: 0},
		"warm_pool absent":    {arena: "{}", got: func(c Config) any { return c.WarmPool }, want: def.WarmPool},
		"min_passing_tests 0": {arena: "{min_passing_tests: 0}", got: func(c Config) any { return c.MinPassingTests }, want: 0},
		"allow_build_errors":  {arena: "{allow_build_errors: true}", got: func(c Config) any { return c.AllowBuildErrors }, want: true},
		"no arena section":    {got: func(c Config) any { return c }, want: def},
		"flake_runs 0":        {arena: "{flake_runs: 0}", wantErr: "arena.flake_runs: 0 is less than 1"},
		"containers 0":        {arena: "{containers: 0}", wantErr: "arena.containers: 0 is less than 1"},
		"test_timeout 0":      {arena: "{test_timeout: 0s}", wantErr: "arena.test_timeout: 0 leaves no time"},
		"warm_pool negative":  {arena: "{warm_pool: -1}", wantErr: "arena.warm_pool: -1 is negative"},
		"hide empty":          {arena: `{hide: ""}`, wantErr: `arena.hide: "" is not a choice`},
		"curriculum single":   {arena: "{curriculum: single}", got: func(c Config) any { return c.Curriculum }, want: "single"},
		"curriculum absent":   {arena: "{}", got: func(c Config) any { return c.Curriculum }, want: "all"},
		"curriculum unknown":  {arena: "{curriculum: easy}", wantErr: `arena.curriculum: "easy" is not a stage (use single, double, multi, all)`},
	} {
		t.Run(name, func(t *testing.T) {
			src := base
			if tc.arena != "" {
				src += "arena: " + tc.arena + "\n"
			}
			c, err := ParseJobConfig("job.yaml", []byte(src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.got(c.Arena); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			again, err := ParseJobConfig("again", []byte(c.YAML()))
			if err != nil || again.Arena != c.Arena {
				t.Fatalf("the stored config does not round-trip: %v\n%s", err, c.YAML())
			}
		})
	}
}

// TestJobConfigEffective: the config a job stores (and `ssr jobs show` prints) holds the values it runs
// with: the agent's default strategy mix when strategies is absent, the agent, every arena setting; a
// relative manifest is taken from the config file's directory.
func TestJobConfigEffective(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte("manifest: ssr.yaml\nlimits: {bugs: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadJobConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "ssr.yaml"); c.Manifest != want {
		t.Errorf("manifest %q, want %q", c.Manifest, want)
	}
	if !maps.Equal(c.Strategies, DefaultStrategies(AgentNative)) || c.Agent != AgentNative {
		t.Errorf("strategies %v agent %q, want the native default mix", c.Strategies, c.Agent)
	}
	y := c.YAML()
	for _, want := range []string{"mutation: 0.6", "order2_share: 0.25", "containers: 2", "alpha: 0.8", "agent: native"} {
		if !strings.Contains(y, want) {
			t.Errorf("stored config lacks %q:\n%s", want, y)
		}
	}
	if _, err := ParseJobConfig("job.yaml", []byte("examples: [x]\nlimits: {bugs: 1}\nstrategies: {}\n")); err == nil || !strings.Contains(err.Error(), "strategies: the mapping is empty") {
		t.Errorf("empty strategies: %v", err)
	}
}
