package rewards

import "math"

// advantageEpsilon keeps the normalisation finite for groups whose rewards barely differ.
const advantageEpsilon = 1e-6

// Advantages computes group-relative advantages: each reward minus the group mean, divided by the group's
// standard deviation (population). A group whose rewards are all equal carries no signal: every advantage is
// 0. Groups are a bug's attempts, or an injector batch per repo.
func Advantages(rewards []float64) []float64 {
	out := make([]float64, len(rewards))
	if len(rewards) < 2 {
		return out
	}
	mean, std := MeanStd(rewards)
	if std < advantageEpsilon {
		return out
	}
	for i, r := range rewards {
		out[i] = (r - mean) / (std + advantageEpsilon)
	}
	return out
}

// MeanStd returns the mean and population standard deviation of xs (0, 0 when empty).
func MeanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		d := x - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(xs)))
}
