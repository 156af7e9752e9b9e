package policy

import (
	"math"
	"slices"

	"github.com/selfplay-swe/ssr/kernels"
)

// Objective holds the clipped policy-gradient loss's settings.
type Objective struct {
	Clip    float64 // ε: the importance ratio is clipped to [1−ε, 1+ε]
	Entropy float64 // β: weight of the entropy bonus
	// Hindsight is λ, the weight of the supervised term: −log of the probability the policy gives the rows
	// the arena found, after the choice, would have fixed the bug (agent.Decision.Fixes).
	Hindsight float64
	// Pull is κ, the weight of KL(p ‖ softmax(prior)) on a decision the batch marks (batch.pull): it holds
	// the learned part of those decisions' logits near flat, so that the prior decides where they go.
	Pull float64
}

// batch is a minibatch of decisions laid out for the kernels: rows of every decision one after the other
// (offsets), with the chosen row of each (a global row index), its behaviour log-probability and advantage.
type batch struct {
	offsets   []int
	chosen    []int
	oldLogp   []float64
	advantage []float64
	fixes     [][]int   // per decision: the global row indices of its fixes (none: no hindsight term)
	pull      []bool    // per decision: the pull toward its prior applies (none: it applies to no decision)
	prior     []float64 // per row: Candidate.Prior (needed only when some decision is pulled)
}

// Stats are what one evaluation of the objective measured.
type Stats struct {
	Loss      float64 `json:"loss"`
	Entropy   float64 `json:"entropy"`    // mean over decisions
	ClipFrac  float64 `json:"clip_frac"`  // share of decisions whose ratio was clipped out of the gradient
	ApproxKL  float64 `json:"approx_kl"`  // mean of old log p − new log p over the chosen rows
	Fixes     float64 `json:"fixes"`      // mean probability of the fixes over the decisions that have some
	WithFixes int     `json:"with_fixes"` // decisions that have fixes
	PriorKL   float64 `json:"prior_kl"`   // mean KL(p ‖ softmax(prior)) over the pulled decisions
	Pulled    int     `json:"pulled"`     // decisions pulled toward their prior
}

// lossAndGrad evaluates the loss at scores (the logits, one per row) and sets gs to its gradient with
// respect to them. Per decision, with r = exp(log p − log p_old) of the chosen row, A its advantage and F its
// fixes:
//
//	L = −mean(min(r·A, clip(r, 1−ε, 1+ε)·A)) − β·mean(H(p)) − λ·mean(log Σ_{f∈F} p_f) + κ·mean(KL(p ‖ q))
//
// where a decision without fixes has no hindsight term, and q = softmax(prior) is the distribution of a
// decision's fixed prior alone, for the decisions the batch pulls (the others have no KL term). At the
// objective's optimum a pulled decision's p is q·exp(Q/κ), normalised, with Q the rows' expected
// advantages: κ bounds how far what was learned can move it from its prior. The hindsight term does not
// depend on how the row was chosen, so it needs no importance ratio: the fix is the fix whichever policy
// acted.
//
// The log-softmax and its backward are the ragged kernels; the rest is a few operations per decision.
func (o Objective) lossAndGrad(k kernels.Backend, b *batch, scores, gs []float64) Stats {
	n := len(scores)
	logp := make([]float64, n)
	k.LogSoftmaxRagged(logp, scores, nil, b.offsets)
	gout := make([]float64, n)
	nd := float64(len(b.chosen))
	var st Stats
	var logq []float64
	if o.Pull > 0 && slices.Contains(b.pull, true) {
		logq = make([]float64, n)
		k.LogSoftmaxRagged(logq, b.prior, nil, b.offsets)
	}
	withFixes := 0
	for d, c := range b.chosen {
		if len(b.fixes) > d && len(b.fixes[d]) > 0 {
			pf := 0.0
			for _, f := range b.fixes[d] {
				pf += math.Exp(logp[f])
			}
			withFixes++
			st.Fixes += pf
			if pf > 0 && o.Hindsight > 0 {
				st.Loss -= o.Hindsight * math.Log(pf) / nd
				for _, f := range b.fixes[d] {
					gout[f] -= o.Hindsight * math.Exp(logp[f]) / pf / nd // d(−λ log Σ p_f)/d log p_f
				}
			}
		}
		a := b.advantage[d]
		ratio := math.Exp(logp[c] - b.oldLogp[d])
		clipped := math.Min(math.Max(ratio, 1-o.Clip), 1+o.Clip)
		if ratio*a <= clipped*a {
			st.Loss -= ratio * a / nd
			gout[c] -= a * ratio / nd // d(r·A)/d log p = r·A
		} else {
			st.Loss -= clipped * a / nd
			st.ClipFrac += 1 / nd
		}
		st.ApproxKL += (b.oldLogp[d] - logp[c]) / nd
		h := 0.0
		for j := b.offsets[d]; j < b.offsets[d+1]; j++ {
			p := math.Exp(logp[j])
			if p > 0 {
				h -= p * logp[j]
				gout[j] += o.Entropy * p * (logp[j] + 1) / nd // d(−β·H)/d log p_j
			}
		}
		st.Entropy += h / nd
		st.Loss -= o.Entropy * h / nd
		if logq != nil && b.pull[d] {
			kl := 0.0
			for j := b.offsets[d]; j < b.offsets[d+1]; j++ {
				if p := math.Exp(logp[j]); p > 0 {
					kl += p * (logp[j] - logq[j])
					gout[j] += o.Pull * p * (logp[j] - logq[j] + 1) / nd // d(κ·KL)/d log p_j
				}
			}
			st.Loss += o.Pull * kl / nd
			st.PriorKL += kl
			st.Pulled++
		}
	}
	if withFixes > 0 {
		st.Fixes /= float64(withFixes)
	}
	if st.Pulled > 0 {
		st.PriorKL /= float64(st.Pulled)
	}
	st.WithFixes = withFixes
	k.LogSoftmaxRaggedBackward(gs, logp, gout, nil, b.offsets)
	return st
}
