package arena

import (
	"time"

	"github.com/selfplay-swe/ssr/arena/store"
)

// Observer is told what a job does as it happens, for live metrics ('ssr run --metrics-addr'). The Runner
// calls it from several goroutines; its methods must be quick and safe for concurrent use. A nil Observer
// is none. The arena declares it so that it never depends on a metrics library.
type Observer interface {
	// Episode reports an episode's end with its outcome and reward: an injector's when its artifact is
	// rejected (outcome "rejected") or its bug is finished ("valid"), a solver's when its attempt is
	// evaluated ("solved" or "failed").
	Episode(role store.Role, outcome string, reward float64)
	// Validation reports an artifact's verdict and the last step it reached.
	Validation(step string, valid bool)
	// TestRun reports one recorded test run of a kind (original, bug, weaken, inverse, eval) and how long it
	// took.
	TestRun(kind string, d time.Duration)
	// PolicyVersion reports the policy version acting now.
	PolicyVersion(v int64)
}

// observe calls fn with the Runner's observer, if it has one.
func (r *Runner) observe(fn func(Observer)) {
	if r.Observer != nil {
		fn(r.Observer)
	}
}
