package arena

import (
	"math/rand/v2"
	"slices"
	"sync"
)

// jobGen is the job's own random generator: the draws that belong to the job, not to an agent (which
// strategy an injector episode gets, how many sites a mutation changes, whether order-2 work is due, the
// seed of each episode's own draws). It is seeded from the job config's seed, so a job's draws repeat.
type jobGen struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newJobGen(seed uint64) *jobGen {
	return &jobGen{rng: rand.New(rand.NewPCG(seed, seed^0xda942042e4dd58b5))}
}

// Float64 draws from [0, 1).
func (g *jobGen) Float64() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rng.Float64()
}

// IntN draws from [0, n).
func (g *jobGen) IntN(n int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rng.IntN(n)
}

// Uint64 draws a seed.
func (g *jobGen) Uint64() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rng.Uint64()
}

// pick draws a key of shares with probability proportional to its share; fallback when none is positive.
func (g *jobGen) pick(shares map[string]float64, fallback string) string {
	var names []string
	total := 0.0
	for s, w := range shares {
		if w > 0 {
			names = append(names, s)
			total += w
		}
	}
	if len(names) == 0 {
		return fallback
	}
	slices.Sort(names)
	u := g.Float64() * total
	for _, s := range names {
		u -= shares[s]
		if u < 0 {
			return s
		}
	}
	return names[len(names)-1]
}
