package rewards

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Z95 is the standard normal quantile of a two-sided 95% interval.
const Z95 = 1.959963984540054

// Interval is an estimate with a confidence interval around it.
type Interval struct {
	Estimate float64 `json:"estimate"`
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
}

// Wilson is the Wilson score interval of a success rate from successes out of n independent trials, at the
// normal quantile z (Z95 for 95%). Unlike the normal approximation it stays inside [0, 1] and is not empty
// at 0 or n successes. With n = 0 it is the whole of [0, 1] around an estimate of 0.
func Wilson(successes, n int, z float64) Interval {
	if n <= 0 {
		return Interval{Lo: 0, Hi: 1}
	}
	p := float64(successes) / float64(n)
	nf := float64(n)
	z2 := z * z
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv := Interval{Estimate: p, Lo: max(0, centre-half), Hi: min(1, centre+half)}
	// At 0 or n successes the bound is exactly 0 or 1; rounding must not leave the estimate outside.
	if successes <= 0 {
		iv.Lo = 0
	}
	if successes >= n {
		iv.Hi = 1
	}
	return iv
}

// BootstrapMean is the mean of values with a percentile bootstrap interval: resamples means of len(values)
// values drawn with replacement, and their (1−level)/2 and (1+level)/2 quantiles. Values are per unit that
// varies independently (per bug, say), so the interval carries the spread between units. No values give
// [0, 1] around 0; one value gives a zero-width interval.
func BootstrapMean(values []float64, resamples int, level float64, rng *rand.Rand) Interval {
	n := len(values)
	if n == 0 {
		return Interval{Lo: 0, Hi: 1}
	}
	mean := func(pick func(int) float64) float64 {
		s := 0.0
		for i := range n {
			s += pick(i)
		}
		return s / float64(n)
	}
	est := mean(func(i int) float64 { return values[i] })
	if resamples < 1 {
		return Interval{Estimate: est, Lo: est, Hi: est}
	}
	means := make([]float64, resamples)
	for b := range means {
		means[b] = mean(func(int) float64 { return values[rng.IntN(n)] })
	}
	slices.Sort(means)
	return Interval{Estimate: est, Lo: quantile(means, (1-level)/2), Hi: quantile(means, (1+level)/2)}
}

// quantile is the q-quantile of sorted xs, interpolating linearly between order statistics.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(math.Floor(pos))
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	f := pos - float64(i)
	return xs[i]*(1-f) + xs[i+1]*f
}
