package rewards

import (
	"errors"
	"fmt"
	"math"
)

// DefaultAlpha is the injector's penalty for a bug that is always or never solved (DESIGN.md, Rewards).
const DefaultAlpha = 0.8

var (
	// ErrNoAttempts reports an injector reward asked for a valid bug with no evaluated attempts.
	ErrNoAttempts = errors.New("rewards: a valid bug needs at least one evaluated attempt")
	// ErrBadAlpha reports an α outside [0, 1].
	ErrBadAlpha = errors.New("rewards: alpha must be in [0, 1]")
)

// Solver is the solver's reward for one attempt: +1 when it succeeds, −1 otherwise.
func Solver(success bool) float64 {
	if success {
		return 1
	}
	return -1
}

// SolveRate is solved/attempts; it is 0 for no attempts.
func SolveRate(solved, attempts int) float64 {
	if attempts <= 0 {
		return 0
	}
	return float64(solved) / float64(attempts)
}

// Injector is the injector's reward for one artifact.
//
// A rejected artifact earns −1. A valid bug with solve rate s over its attempts earns −α when s is 0 or 1
// (too hard or too easy teaches nothing), and 1 − (1 + α)·s otherwise, so bugs solved sometimes but rarely
// earn most.
func Injector(valid bool, solved, attempts int, alpha float64) (float64, error) {
	if !valid {
		return -1, nil
	}
	if alpha < 0 || alpha > 1 || math.IsNaN(alpha) {
		return 0, fmt.Errorf("%w (got %v)", ErrBadAlpha, alpha)
	}
	if attempts <= 0 {
		return 0, ErrNoAttempts
	}
	if solved < 0 || solved > attempts {
		return 0, fmt.Errorf("rewards: %d solved out of %d attempts is impossible", solved, attempts)
	}
	if solved == 0 || solved == attempts {
		return -alpha, nil
	}
	return 1 - (1+alpha)*SolveRate(solved, attempts), nil
}
