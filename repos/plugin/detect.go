package plugin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sourcegraph/conc/pool"
)

// DefaultMinConfidence is the confidence below which Detect does not pick a plugin.
const DefaultMinConfidence = 0.5

// Detection is the answer of one plugin to Detect.
type Detection struct {
	Client     *Client
	Confidence float64
	Reason     string
}

// DetectResult is Host.Detect's answer: the chosen plugin and what every plugin said.
type DetectResult struct {
	Best       Detection   // the most confident plugin (ties broken by name)
	Candidates []Detection // every plugin that answered, most confident first
}

// Detect asks every plugin on the search path whether the repository is theirs and picks the most
// confident one, ties broken by name. A plugin that fails to start or answer is left out (its error is
// returned only if no plugin qualifies). With no plugin at minConfidence or above, the error wraps ErrNoMatch
// and lists what each plugin said.
func (h *Host) Detect(ctx context.Context, req *DetectRequest, minConfidence float64) (*DetectResult, error) {
	clients, openErr := h.All(ctx)
	answers := make([]*Detection, len(clients))
	errs := make([]error, len(clients))
	p := pool.New().WithMaxGoroutines(4)
	for i, c := range clients {
		p.Go(func() {
			resp, err := c.Detect(ctx, req)
			if err != nil {
				errs[i] = err
				return
			}
			answers[i] = &Detection{Client: c, Confidence: resp.Confidence, Reason: resp.Reason}
		})
	}
	p.Wait()
	res := &DetectResult{}
	for _, a := range answers {
		if a != nil {
			res.Candidates = append(res.Candidates, *a)
		}
	}
	sort.SliceStable(res.Candidates, func(i, j int) bool {
		a, b := res.Candidates[i], res.Candidates[j]
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		return a.Client.Name() < b.Client.Name()
	})
	if len(res.Candidates) > 0 && res.Candidates[0].Confidence >= minConfidence {
		res.Best = res.Candidates[0]
		return res, nil
	}
	var said []string
	for _, c := range res.Candidates {
		said = append(said, fmt.Sprintf("%s %.2f (%s)", c.Client.Name(), c.Confidence, c.Reason))
	}
	if len(said) == 0 {
		said = append(said, "no plugin answered")
	}
	err := fmt.Errorf("%w at %s (need confidence %.2f; %s): install a plugin for its language or name one explicitly",
		ErrNoMatch, req.Root, minConfidence, strings.Join(said, "; "))
	return res, errors.Join(append([]error{err, openErr}, errs...)...)
}
