package rewards

import "math"

// PassAtK is the unbiased estimate of pass@k from n attempts of which c succeeded: the chance that at least
// one of k attempts drawn without replacement succeeds, 1 − C(n−c, k)/C(n, k). It is 0 for k < 1 or n < k.
func PassAtK(n, c, k int) float64 {
	if k < 1 || n < k || c <= 0 {
		return 0
	}
	return 1 - binomRatio(n-c, n, k)
}

// binomRatio is C(a, k)/C(b, k) for a ≤ b, as a product (no overflow): Π_{i<k} (a−i)/(b−i).
func binomRatio(a, b, k int) float64 {
	r := 1.0
	for i := range k {
		if a-i <= 0 {
			return 0
		}
		r *= float64(a-i) / float64(b-i)
	}
	return r
}

// PassAtKAdvantages are the advantages of a group's attempts when the solver is judged by pass@k rather
// than pass@1: the analytic form of "Pass@k Training" (Chen et al., 2025). With ρ the group's pass@k
// estimate and σ = √(ρ(1−ρ)), a success gets (1−ρ)/σ and a failure (1−ρ−C(n_fail−1, k−1)/C(n−1, k−1))/σ:
// a failure is blamed only for the k-subsets it makes fail, so failures next to successes cost little and
// exploration is not punished. A group with no variance (all succeed, all fail, or n < k) gets zeros; k = 1
// is close to Advantages on ±1 rewards.
func PassAtKAdvantages(success []bool, k int) []float64 {
	n := len(success)
	out := make([]float64, n)
	c := 0
	for _, s := range success {
		if s {
			c++
		}
	}
	if k < 1 || n < k || c == 0 || c == n {
		return out
	}
	rho := PassAtK(n, c, k)
	sigma := math.Sqrt(rho * (1 - rho))
	if sigma < advantageEpsilon {
		return out
	}
	failBlame := binomRatio(n-c-1, n-1, k-1) // C(n_fail−1, k−1)/C(n−1, k−1)
	for i, s := range success {
		if s {
			out[i] = (1 - rho) / sigma
		} else {
			out[i] = (1 - rho - failBlame) / sigma
		}
	}
	return out
}
