package arena

import (
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
)

func TestTimeoutFor(t *testing.T) {
	a := New(nil, "job", conf(func(c *Config) { c.TestTimeout = 5 * time.Minute }), nil)
	fast := &artifact.Artifact{TestScript: "fast"}
	slow := &artifact.Artifact{TestScript: "slow"}
	if got := a.timeoutFor(fast); got != 5*time.Minute {
		t.Errorf("unknown script: %v, want the configured 5m", got)
	}
	a.noteDuration(fast, []*TestRun{{Duration: 400 * time.Millisecond}, {Duration: 600 * time.Millisecond}})
	a.noteDuration(slow, []*TestRun{{Duration: 20 * time.Second}})
	if got, want := a.timeoutFor(fast), 600*time.Millisecond+timeoutSlack; got != want {
		t.Errorf("fast script: %v, want its slowest run + the slack (%v): a loaded machine must not kill it", got, want)
	}
	a.noteDuration(slow, []*TestRun{{Duration: 25 * time.Second}})
	if got := a.timeoutFor(slow); got != timeoutFactor*25*time.Second { // 125s > 25s + 60s
		t.Errorf("slow script: %v, want %d × its slowest run (25s)", got, timeoutFactor)
	}
	a.noteDuration(slow, []*TestRun{{Duration: 2 * time.Minute}})
	if got := a.timeoutFor(slow); got != 5*time.Minute {
		t.Errorf("very slow script: %v, want the ceiling 5m", got)
	}
}
