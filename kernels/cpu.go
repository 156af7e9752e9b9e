package kernels

import "math"

// CPU is the pure-Go reference backend. Its methods are safe for concurrent use on disjoint outputs.
type CPU struct{}

var _ Backend = CPU{}

// Name is "cpu".
func (CPU) Name() string { return "cpu" }

// Close does nothing: the CPU backend holds nothing.
func (CPU) Close() error { return nil }

// MatMul sets c = a·b (row-major; a m×k, b k×n). The i-k-j loop order streams rows of b and c, which keeps
// the inner loop on contiguous memory.
func (CPU) MatMul(c, a, b []float64, m, k, n int) {
	c = c[:m*n]
	clear(c)
	for i := range m {
		ci := c[i*n : i*n+n]
		ai := a[i*k : i*k+k]
		for p, aip := range ai {
			if aip == 0 {
				continue // hashed feature rows are sparse
			}
			bp := b[p*n : p*n+n]
			for j, bv := range bp {
				ci[j] += aip * bv
			}
		}
	}
}

// MatMulTransA sets c (k×n) = aᵀ·b for a m×k and b m×n: the weight gradient of a linear layer.
func MatMulTransA(c, a, b []float64, m, k, n int) {
	c = c[:k*n]
	clear(c)
	for i := range m {
		ai := a[i*k : i*k+k]
		bi := b[i*n : i*n+n]
		for p, aip := range ai {
			if aip == 0 {
				continue
			}
			cp := c[p*n : p*n+n]
			for j, bv := range bi {
				cp[j] += aip * bv
			}
		}
	}
}

// MatMulTransB sets c (m×k) = a·bᵀ for a m×n and b k×n: the input gradient of a linear layer.
func MatMulTransB(c, a, b []float64, m, k, n int) {
	c = c[:m*k]
	for i := range m {
		ai := a[i*n : i*n+n]
		for p := range k {
			bp := b[p*n : p*n+n]
			s := 0.0
			for j, av := range ai {
				s += av * bp[j]
			}
			c[i*k+p] = s
		}
	}
}

// LogSoftmaxRagged is the reference log-softmax over ragged sets (see Backend).
func (CPU) LogSoftmaxRagged(out, x []float64, mask []bool, offsets []int) {
	for s := 0; s+1 < len(offsets); s++ {
		lo, hi := offsets[s], offsets[s+1]
		maxv := math.Inf(-1)
		for j := lo; j < hi; j++ {
			if on(mask, j) && x[j] > maxv {
				maxv = x[j]
			}
		}
		sum := 0.0
		for j := lo; j < hi; j++ {
			if on(mask, j) {
				sum += math.Exp(x[j] - maxv)
			}
		}
		lse := maxv + math.Log(sum)
		for j := lo; j < hi; j++ {
			if on(mask, j) {
				out[j] = x[j] - lse
			} else {
				out[j] = math.Inf(-1)
			}
		}
	}
}

// LogSoftmaxRaggedBackward is the reference backward of LogSoftmaxRagged (see Backend).
func (CPU) LogSoftmaxRaggedBackward(gx, logp, gout []float64, mask []bool, offsets []int) {
	for s := 0; s+1 < len(offsets); s++ {
		lo, hi := offsets[s], offsets[s+1]
		sum := 0.0
		for j := lo; j < hi; j++ {
			if on(mask, j) {
				sum += gout[j]
			}
		}
		for j := lo; j < hi; j++ {
			if on(mask, j) {
				gx[j] = gout[j] - math.Exp(logp[j])*sum
			} else {
				gx[j] = 0
			}
		}
	}
}

// Gather copies rows idx of src into dst.
func (CPU) Gather(dst, src []float64, idx []int, width int) {
	for r, i := range idx {
		copy(dst[r*width:(r+1)*width], src[i*width:(i+1)*width])
	}
}

// ScatterAdd adds row r of src to row idx[r] of dst.
func (CPU) ScatterAdd(dst, src []float64, idx []int, width int) {
	for r, i := range idx {
		d := dst[i*width : (i+1)*width]
		for j, v := range src[r*width : (r+1)*width] {
			d[j] += v
		}
	}
}

// Adam is the fused update: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr·(m̂/(√v̂+ε) + wd·p),
// with m̂, v̂ the bias-corrected moments (decoupled weight decay, as AdamW).
func (CPU) Adam(p, g, m, v []float64, s AdamStep) {
	c1 := 1 - math.Pow(s.Beta1, float64(s.T))
	c2 := 1 - math.Pow(s.Beta2, float64(s.T))
	for i, gi := range g[:len(p)] {
		m[i] = s.Beta1*m[i] + (1-s.Beta1)*gi
		v[i] = s.Beta2*v[i] + (1-s.Beta2)*gi*gi
		mh := m[i] / c1
		vh := v[i] / c2
		p[i] -= s.LR * (mh/(math.Sqrt(vh)+s.Eps) + s.WeightDecay*p[i])
	}
}

func on(mask []bool, j int) bool { return mask == nil || mask[j] }
